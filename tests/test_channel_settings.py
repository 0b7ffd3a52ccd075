"""Settings → Inboxes → Channels: managers of an inbox (and admins) add and remove the numbers
and addresses customers write to; agents get 403, a manager of another inbox 404. The
providers are described from the environment, never with their secrets."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from inbox.actions import settings as settings_actions
from inbox.models import Channel, InboxChannel
from lib.errors import ActionRefused
from tests.factories import inbox_with

TOKEN = "tw-auth-token-that-must-never-show"


@pytest.fixture
def inbox_a(alice, max_manager):
    return inbox_with("Kundenservice", members=[alice], managers=[max_manager])


@pytest.fixture
def inbox_b(bob):
    return inbox_with("Vertrieb", "assignment", managers=[bob])


def add_url(inbox):
    return reverse("inbox_settings:channel_add", args=[inbox.pk])


def remove_url(channel):
    return reverse("inbox_settings:channel_remove", args=[channel.inbox_id, channel.pk])


def detail_url(inbox):
    return reverse("inbox_settings:inbox_detail", args=[inbox.pk])


def test_a_manager_adds_an_sms_number_normalised(client_for, max_manager, inbox_a):
    response = client_for(max_manager).post(
        add_url(inbox_a), {"kind": "sms", "address": "040 1234567", "label": " Hotline "}
    )

    assert response.status_code == 302
    assert response.url.endswith("#channels")
    channel = InboxChannel.objects.get(inbox=inbox_a)
    assert (channel.kind, channel.address, channel.label) == ("sms", "+49401234567", "Hotline")


def test_whatsapp_and_email_addresses_are_normalised_too(client_for, ada, inbox_a):
    client = client_for(ada)
    client.post(add_url(inbox_a), {"kind": "whatsapp", "address": "whatsapp:+4940 1234567"})
    client.post(add_url(inbox_a), {"kind": "email", "address": " Service@Nordlicht.Example "})

    assert set(InboxChannel.objects.values_list("kind", "address")) == {
        ("whatsapp", "+49401234567"),
        ("email", "service@nordlicht.example"),
    }


def test_htmx_add_answers_the_channels_section_with_a_toast(client_for, max_manager, inbox_a):
    response = client_for(max_manager).post(
        add_url(inbox_a),
        {"kind": "sms", "address": "+49 40 1234567"},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith('\n  <section id="inbox-channels"') or 'id="inbox-channels"' in page
    assert "<html" not in page
    assert 'data-channel="sms:+49401234567"' in page
    assert "now receives SMS at +49 40 1234567" in page


@pytest.mark.parametrize(
    ("kind", "address", "error"),
    [
        ("sms", "12", "is not a valid phone number"),
        ("sms", "call me", "is not a phone number"),
        ("email", "not-an-address", "is not a valid e-mail address"),
        ("sms", "", "Enter a phone number or an e-mail address."),
    ],
)
def test_a_malformed_address_is_refused_inline_with_422(
    client_for, max_manager, inbox_a, kind, address, error
):
    response = client_for(max_manager).post(
        add_url(inbox_a), {"kind": kind, "address": address}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert error in page
    assert 'class="field-error" id="channel-address-error"' in page
    assert not InboxChannel.objects.exists()


def test_a_number_belongs_to_one_inbox_only(client_for, ada, max_manager, inbox_a, inbox_b):
    InboxChannel.objects.create(inbox=inbox_b, kind="sms", address="+49401234567")

    response = client_for(max_manager).post(
        add_url(inbox_a), {"kind": "sms", "address": "+49 40 1234567"}
    )

    assert response.status_code == 422
    assert "+49 40 1234567 already belongs to the inbox Vertrieb." in response.content.decode()
    assert InboxChannel.objects.get().inbox == inbox_b
    # The same number as another channel kind is another channel.
    client_for(max_manager).post(add_url(inbox_a), {"kind": "whatsapp", "address": "+4940 1234567"})
    assert InboxChannel.objects.filter(inbox=inbox_a, kind="whatsapp").exists()


def test_adding_the_same_number_twice_says_it_is_there(client_for, max_manager, inbox_a):
    client = client_for(max_manager)
    client.post(add_url(inbox_a), {"kind": "sms", "address": "+49 40 1234567"})

    response = client.post(add_url(inbox_a), {"kind": "sms", "address": "040/1234567"})

    assert response.status_code == 422
    assert "already a channel of this inbox" in response.content.decode()
    assert InboxChannel.objects.count() == 1


def test_a_manager_removes_a_channel(client_for, max_manager, inbox_a):
    channel = InboxChannel.objects.create(inbox=inbox_a, kind="sms", address="+49401234567")
    page = client_for(max_manager).get(detail_url(inbox_a)).content.decode()
    assert f'action="{remove_url(channel)}"' in page
    assert "data-confirm=" in page

    response = client_for(max_manager).post(remove_url(channel), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert not InboxChannel.objects.exists()
    assert "Customers can't reach this inbox yet" in response.content.decode()


def test_an_inbox_without_channels_says_customers_cannot_reach_it(client_for, ada, inbox_a):
    page = client_for(ada).get(detail_url(inbox_a)).content.decode()

    assert "No channels yet" in page
    assert "Customers can't reach this inbox yet" in page
    listing = client_for(ada).get(reverse("inbox_settings:inboxes")).content.decode()
    assert "Customers cannot reach this inbox yet." in listing


def test_agents_get_403_and_nothing_changes(client_for, alice, inbox_a):
    channel = InboxChannel.objects.create(inbox=inbox_a, kind="sms", address="+49401234567")
    client = client_for(alice)

    add = client.post(add_url(inbox_a), {"kind": "email", "address": "a@nordlicht.example"})
    remove = client.post(remove_url(channel))

    assert (add.status_code, remove.status_code) == (403, 403)
    assert list(InboxChannel.objects.values_list("address", flat=True)) == ["+49401234567"]


def test_a_manager_of_another_inbox_gets_404(client_for, bob, inbox_a, inbox_b):
    channel = InboxChannel.objects.create(inbox=inbox_a, kind="sms", address="+49401234567")
    client = client_for(bob)

    add = client.post(add_url(inbox_a), {"kind": "email", "address": "b@nordlicht.example"})
    remove = client.post(remove_url(channel))
    # A channel of inbox A named under Bob's own inbox B is not found either.
    crossed = client.post(
        reverse("inbox_settings:channel_remove", args=[inbox_b.pk, channel.pk]),
        headers={"HX-Request": "true"},
    )

    assert (add.status_code, remove.status_code, crossed.status_code) == (404, 404, 404)
    assert InboxChannel.objects.count() == 1


def test_get_is_not_allowed(client_for, max_manager, inbox_a):
    assert client_for(max_manager).get(add_url(inbox_a)).status_code == 405


def test_the_actions_check_the_manager_again(alice, ada, inbox_a):
    with pytest.raises(PermissionDenied):
        settings_actions.add_channel(
            inbox_a, kind="sms", address="+49401234567", label="", actor=alice
        )
    channel = InboxChannel.objects.create(inbox=inbox_a, kind="sms", address="+49401234567")
    with pytest.raises(PermissionDenied):
        settings_actions.remove_channel(channel, actor=alice)
    with pytest.raises(ActionRefused):
        settings_actions.add_channel(
            inbox_a, kind="fax", address="+49401234568", label="", actor=ada
        )


def test_the_provider_setup_comes_from_the_environment_without_secrets(
    client_for, max_manager, inbox_a, settings
):
    settings.PUBLIC_BASE_URL = "https://support.nordlicht.example"
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC0123456789abcdef"
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "pm-secret", "WEBHOOK_SECRET": "user:pw-secret"}

    page = client_for(max_manager).get(detail_url(inbox_a)).content.decode()

    assert "<code>twilio</code>" in page
    assert "anymail.backends.postmark.EmailBackend" in page
    assert "https://support.nordlicht.example/webhooks/twilio/" in page
    assert "https://support.nordlicht.example/webhooks/twilio/status/" in page
    assert "https://support.nordlicht.example/anymail/postmark/inbound/" in page
    assert "https://support.nordlicht.example/anymail/mailgun/inbound_mime/" in page
    for secret in (TOKEN, "pm-secret", "pw-secret", "AC0123456789abcdef"):
        assert secret not in page
    assert page.count('badge badge-ok">Set<') == 2


def test_missing_credentials_are_shown_as_not_set(client_for, ada, inbox_a, settings):
    settings.SMS_BACKEND = "console"
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""

    page = client_for(ada).get(detail_url(inbox_a)).content.decode()

    assert "<code>console</code>" in page
    assert "Not set" in page


def test_the_channels_list_has_a_fixed_number_of_queries(
    client_for, max_manager, inbox_a, django_assert_max_num_queries
):
    client = client_for(max_manager)
    InboxChannel.objects.create(inbox=inbox_a, kind=Channel.SMS, address="+49401234560")
    with django_assert_max_num_queries(16) as few:
        client.get(detail_url(inbox_a))
    for n in range(1, 8):
        InboxChannel.objects.create(inbox=inbox_a, kind=Channel.SMS, address=f"+4940123456{n}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(detail_url(inbox_a))

    assert response.content.decode().count('data-channel="sms:') == 8
