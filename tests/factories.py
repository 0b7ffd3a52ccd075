import factory

from accounts.models import Organisation, Role, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@nordlicht.example")
    display_name = factory.Faker("name")
    role = Role.AGENT
    language = "en"
    time_zone = "Europe/Berlin"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("id",)

    id = Organisation.SINGLETON_ID
    name = "Nordlicht GmbH"
    email = "service@nordlicht.example"
    phone = "+49 40 1234567"
    address = "Hafenstraße 12, 20457 Hamburg"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contacts.Contact"

    kind = "identified"
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    company = factory.Faker("company")


def identity(contact, kind, value, **extra):
    """An identity with its normalised value, as the actions would store it."""
    from contacts.identities import normalise
    from contacts.models import Identity

    return Identity.objects.create(
        contact=contact, kind=kind, value=value, normalised=normalise(kind, value), **extra
    )


def inbox_with(name, mode="open", *, members=(), managers=()):
    """An inbox with the given users as members and managers."""
    from inbox.models import Inbox, InboxRole, Membership

    inbox = Inbox.objects.create(name=name, mode=mode)
    for user in members:
        Membership.objects.create(inbox=inbox, user=user, role=InboxRole.MEMBER)
    for user in managers:
        Membership.objects.create(inbox=inbox, user=user, role=InboxRole.MANAGER)
    return inbox


_provider_ids = iter(range(10**9))


def inbound(
    inbox,
    address="+49 170 1234567",
    body="Hallo, wo bleibt meine Bestellung?",
    channel="sms",
    **extra,
):
    """An inbound message through the one receiving action every channel uses."""
    from inbox.actions import IncomingMessage, receive_message

    extra.setdefault("provider_message_id", f"test-{next(_provider_ids)}")
    return receive_message(
        IncomingMessage(
            inbox=inbox, channel=channel, address=address, body=body, provider="test", **extra
        )
    ).message
