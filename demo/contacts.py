"""Demo contacts for `seed_demo`: about forty hand-made customers of Nordlicht GmbH (the
synthetic ones for scale tests are in demo.synthetic_contacts).

The hand-made set is created once: a contact whose addresses already exist is left alone, so a
second run changes nothing. Its numbers use prefixes the synthetic contacts never use.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from contacts.actions import add_note, create_contact
from contacts.identities import IdentityKind, normalise
from contacts.models import ContactKind, Identity, IdentitySource, Tag
from contacts.sharing import share_identity

Kind, Source = IdentityKind, IdentitySource

# --- The hand-made set ------------------------------------------------------------------------

# (kind, first name, last name, company, job title, gender, tags, identities (kind, as given)).
# Numbers use prefixes the synthetic contacts never use (DE 160-175 with 7 digits, SE 70/79),
# so the two sets cannot collide. The four pairs marked "duplicate" are one person each.
DemoContact = tuple[str, str, str, str, str, str, tuple[str, ...], tuple[tuple[str, str], ...]]
DEMO_CONTACTS: list[DemoContact] = [
    # Duplicate: Jana Müller called from her mobile; "J. Müller" wrote from her work address.
    ("curated", "Jana", "Müller", "Müller Logistik GmbH", "Einkaufsleiterin", "female", ("VIP",),
     ((Kind.PHONE, "0170 2345671"), (Kind.WHATSAPP, "+49 170 2345671"))),
    ("identified", "J.", "Müller", "Mueller Logistik", "", "", (),
     ((Kind.EMAIL, "Jana.Mueller@example.de"),)),
    # Duplicate: Lars Andersson by e-mail and phone, "Lars Anderson" on WhatsApp.
    ("curated", "Lars", "Andersson", "Andersson Bygg AB", "Inköpschef", "male", ("Reseller",),
     ((Kind.EMAIL, "lars.andersson@example.se"), (Kind.PHONE, "+46 70 123 45 01"))),
    ("identified", "Lars", "Anderson", "Andersson Bygg", "", "male", (),
     ((Kind.WHATSAPP, "+46 79 123 45 02"),)),
    # Duplicate: Sophie Becker with her company address and a private one.
    ("curated", "Sophie", "Becker", "Becker & Söhne KG", "Geschäftsführerin", "female",
     ("VIP", "Newsletter"),
     ((Kind.EMAIL, "sophie.becker@example.de"), (Kind.PHONE, "0171 3456782"))),
    ("identified", "Sophie", "Becker", "Becker und Söhne", "", "", (),
     ((Kind.EMAIL, "s.becker@example.com"), (Kind.PHONE, "+49 172 3456783"))),
    # Duplicate: Malin Svensson, later with her married name.
    ("curated", "Malin", "Svensson", "Svensson Design AB", "Art Director", "female", (),
     ((Kind.EMAIL, "malin.svensson@example.se"), (Kind.PHONE, "+46 70 234 56 03"))),
    ("identified", "Malin", "Svensson-Berg", "Svensson Design", "", "female", ("Newsletter",),
     ((Kind.EMAIL, "malin.svenssonberg@example.com"),)),
    ("curated", "Thomas", "Schneider", "Schneider Elektrotechnik GmbH", "Technischer Leiter",
     "male", ("Reseller",),
     ((Kind.EMAIL, "thomas.schneider@example.de"), (Kind.PHONE, "0172 4567893"))),
    ("curated", "Katharina", "Wagner", "Wagner & Partner Steuerberatung", "Partnerin", "female",
     ("Newsletter",), ((Kind.EMAIL, "k.wagner@example.de"), (Kind.PHONE, "0160 5678904"))),
    ("curated", "Michael", "Hoffmann", "Hoffmann Bau AG", "Projektleiter", "male", (),
     ((Kind.EMAIL, "michael.hoffmann@example.de"), (Kind.PHONE, "0173 6789015"),
      (Kind.WHATSAPP, "0173 6789015"))),
    ("curated", "Sabine", "Fischer", "Fischer Gastro GmbH", "Inhaberin", "female", ("VIP",),
     ((Kind.EMAIL, "sabine.fischer@example.de"), (Kind.PHONE, "0175 7890126"))),
    ("identified", "Stefan", "Weber", "Weber Haustechnik", "", "male", (),
     ((Kind.PHONE, "0162 8901237"), (Kind.EMAIL, "info.weber@example.de"))),
    ("curated", "Julia", "Schulz", "Schulz Medien GmbH", "Marketing-Managerin", "female",
     ("Newsletter",), ((Kind.EMAIL, "julia.schulz@example.com"), (Kind.PHONE, "0170 1203344"))),
    ("curated", "Andreas", "Koch", "Koch Automotive GmbH", "Einkauf", "male", ("Reseller",),
     ((Kind.EMAIL, "a.koch@example.de"), (Kind.PHONE, "0170 9012348"))),
    ("identified", "Claudia", "Richter", "Stadtwerke Lübeck", "", "female", (),
     ((Kind.EMAIL, "claudia.richter@example.de"), (Kind.PHONE, "0171 0123459"))),
    ("curated", "Felix", "Klein", "Klein IT-Service", "Geschäftsführer", "male", (),
     ((Kind.EMAIL, "felix.klein@example.de"), (Kind.WHATSAPP, "0172 1234560"))),
    ("curated", "Lena", "Wolf", "Wolf Architekten", "Architektin", "female", ("Newsletter",),
     ((Kind.EMAIL, "lena.wolf@example.de"), (Kind.PHONE, "0173 1112233"))),
    ("curated", "Jürgen", "Schröder", "Schröder Holzbau GmbH & Co. KG", "Inhaber", "male",
     ("VIP",), ((Kind.PHONE, "0173 2345601"), (Kind.EMAIL, "j.schroeder@example.de"))),
    ("identified", "Monika", "Neumann", "Neumann Immobilien", "", "female", (),
     ((Kind.EMAIL, "monika.neumann@example.com"), (Kind.PHONE, "0175 3456702"))),
    ("identified", "Tobias", "Schwarz", "Schwarz Logistik GmbH", "", "male", (),
     ((Kind.PHONE, "0160 4567803"), (Kind.WHATSAPP, "0160 4567803"))),
    ("curated", "Nina", "Zimmermann", "Zimmermann Events", "Eventmanagerin", "female", (),
     ((Kind.EMAIL, "nina.zimmermann@example.de"), (Kind.WHATSAPP, "0162 5678904"))),
    ("curated", "Heike", "Krüger", "Krüger Reisen GmbH", "Reiseverkehrskauffrau", "female", (),
     ((Kind.EMAIL, "heike.krueger@example.de"), (Kind.PHONE, "0170 1112223"))),
    ("identified", "Uwe", "Hartmann", "Hartmann Metallbau", "", "male", (),
     ((Kind.PHONE, "0171 2223334"), (Kind.EMAIL, "uwe.hartmann@example.de"))),
    ("curated", "Anna", "Lehmann", "Lehmann Apotheke", "Apothekerin", "female", ("Newsletter",),
     ((Kind.EMAIL, "anna.lehmann@example.de"), (Kind.PHONE, "0175 4445566"))),
    ("curated", "Karin", "Nyström", "Nyström Fastigheter AB", "VD", "female", ("VIP",),
     ((Kind.EMAIL, "karin.nystrom@example.se"), (Kind.PHONE, "+46 70 345 67 04"))),
    ("curated", "Johan", "Eriksson", "Eriksson Transport AB", "Logistikchef", "male",
     ("Reseller",), ((Kind.EMAIL, "johan.eriksson@example.se"), (Kind.PHONE, "+46 79 456 78 05"),
                     (Kind.WHATSAPP, "+46 79 456 78 05"))),
    ("identified", "Emma", "Karlsson", "Karlsson & Co HB", "", "female", (),
     ((Kind.EMAIL, "emma.karlsson@example.se"), (Kind.PHONE, "+46 70 456 78 14"))),
    ("curated", "Anders", "Nilsson", "Nilsson Mekaniska AB", "Produktionschef", "male", (),
     ((Kind.PHONE, "+46 70 567 89 06"), (Kind.EMAIL, "anders.nilsson@example.com"))),
    ("identified", "Sara", "Larsson", "Larssons Trädgård", "", "female", ("Newsletter",),
     ((Kind.WHATSAPP, "+46 79 678 90 07"), (Kind.EMAIL, "sara.larsson@example.se"))),
    ("curated", "Per", "Olsson", "Olsson Byggvaror AB", "Säljare", "male", ("Reseller",),
     ((Kind.EMAIL, "per.olsson@example.se"), (Kind.PHONE, "+46 70 789 01 08"))),
    ("curated", "Ingrid", "Persson", "Persson Rederi AB", "Inköpare", "female", (),
     ((Kind.EMAIL, "ingrid.persson@example.se"), (Kind.PHONE, "+46 79 789 01 15"))),
    ("identified", "Björn", "Gustafsson", "Gustafssons Elektriska AB", "", "male", (),
     ((Kind.PHONE, "+46 79 890 12 09"), (Kind.EMAIL, "bjorn.gustafsson@example.se"))),
    ("curated", "Linnea", "Jonsson", "Jonsson Design Studio", "Designer", "female",
     ("Newsletter",),
     ((Kind.EMAIL, "linnea.jonsson@example.se"), (Kind.WHATSAPP, "+46 70 901 23 10"))),
    ("curated", "Oskar", "Bergström", "Bergström IT AB", "CTO", "male", ("VIP",),
     ((Kind.EMAIL, "oskar.bergstrom@example.se"), (Kind.PHONE, "+46 79 012 34 11"))),
    ("identified", "Astrid", "Lundgren", "Lundgrens Café", "", "female", (),
     ((Kind.PHONE, "+46 70 111 22 12"), (Kind.EMAIL, "astrid.lundgren@example.se"))),
    # A family's landline: Peter and Ulrike Brandt share it (DEMO_SHARED), so a call or SMS
    # from it matches both and the agent picks the right one in the panel's chooser.
    ("curated", "Peter", "Brandt", "Brandt Gartenbau", "Inhaber", "male", (),
     ((Kind.PHONE, "040 38612740"), (Kind.EMAIL, "peter.brandt@example.de"))),
    ("curated", "Ulrike", "Brandt", "", "", "female", ("Newsletter",),
     ((Kind.EMAIL, "ulrike.brandt@example.de"),)),
    # Unknown senders: one inbound number each, expiring unless an agent keeps them.
    ("ephemeral", "", "", "", "", "", (), ((Kind.PHONE, "+49 172 3334445"),)),
    ("ephemeral", "", "", "", "", "", (), ((Kind.PHONE, "+49 173 4445556"),)),
    ("ephemeral", "", "", "", "", "", (), ((Kind.PHONE, "+46 70 222 33 13"),)),
    ("ephemeral", "", "", "", "", "", (), ((Kind.PHONE, "+49 175 5556667"),)),
]  # fmt: skip

# Addresses several contacts hold: (kind, as given, first identity of each further holder).
DEMO_SHARED: list[tuple[str, str, tuple[str, ...]]] = [
    (Kind.PHONE, "040 38612740", ("ulrike.brandt@example.de",)),
]

# Notes by the demo users, keyed by the first identity of the contact they are about.
DEMO_NOTES: dict[str, list[tuple[str, str]]] = {
    "Jana.Mueller@example.de": [
        ("anna@nordlicht.example", "Wrote from her work address as “J. Müller”: this is Jana "
         "Müller of Müller Logistik (we have her mobile). Please merge."),
    ],
    "0170 2345671": [
        ("admin@nordlicht.example", "Key account. Prefers a call before 10:00."),
    ],
    "+46 79 123 45 02": [
        ("admin@nordlicht.example", "Same person as Lars Andersson of Andersson Bygg AB, "
         "writing on WhatsApp from his private phone. Merge once he confirms."),
    ],
    "s.becker@example.com": [
        ("anna@nordlicht.example", "Private address of Sophie Becker (Becker & Söhne KG)."),
    ],
}  # fmt: skip


@transaction.atomic
def seed_demo_contacts() -> int:
    """Create the hand-made contacts that do not exist yet; returns how many were created.
    A contact counts as existing when any of its addresses is already stored."""
    users = {u.email: u for u in User.objects.filter(email__in=_note_authors())}
    now = timezone.now()
    created = 0
    for position, entry in enumerate(DEMO_CONTACTS):
        kind, first, last, company, job_title, gender, tags, identities = entry
        if _any_address_exists(identities):
            continue
        source = Source.INBOUND if kind != ContactKind.CURATED else Source.AGENT
        contact = create_contact(
            actor=None,
            kind=kind,
            first_name=first,
            last_name=last,
            company=company,
            identities=list(identities),
            source=source,
        )
        contact.job_title, contact.gender = job_title, gender
        contact.last_activity_at = now - timedelta(hours=7 * position + 1)
        contact.save(update_fields=["job_title", "gender", "last_activity_at"])
        contact.tags.set([tag_named(name) for name in tags])
        for email, body in DEMO_NOTES.get(identities[0][1], []):
            if author := users.get(email):
                add_note(contact, body=body, author=author)
        created += 1
    if created:
        _share_addresses()
    return created


def _share_addresses() -> None:
    """The addresses of DEMO_SHARED, shared by an admin as an agent would ("Share it")."""
    admin = User.objects.filter(role=Role.ADMIN).order_by("id").first()
    for kind, value, others in DEMO_SHARED:
        held = Identity.objects.filter(kind=kind, normalised=normalise(kind, value)).first()
        for address in others:
            other = Identity.objects.filter(normalised=address.lower()).first()
            if held is not None and other is not None and admin is not None:
                share_identity(other.contact, identity=held, actor=admin)


def _note_authors() -> set[str]:
    return {email for notes in DEMO_NOTES.values() for email, _body in notes}


def _any_address_exists(identities: Iterable[tuple[str, str]]) -> bool:
    return any(
        Identity.objects.filter(kind=kind, normalised=normalise(kind, value)).exists()
        for kind, value in identities
    )


def tag_named(name: str) -> Tag:
    """The tag of that name (any case), created when missing."""
    return Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
