"""Demo contacts for `seed_demo`: about forty hand-made customers of Nordlicht GmbH, and with
`--contacts N` as many synthetic ones as a scale test needs (COPY on PostgreSQL).

The hand-made set is created once: a contact whose addresses already exist is left alone, so a
second run changes nothing. Synthetic contacts derive their addresses from their own ids, which
never repeat, so every run adds N more without touching the unique (kind, normalised) index.
"""

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.management.base import CommandParser, OutputWrapper
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from contacts.actions import add_note, create_contact
from contacts.identities import IdentityKind, normalise
from contacts.models import Contact, ContactKind, Gender, Identity, IdentitySource, Tag
from lib.bulk import reserve_ids

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
    # Unknown senders: one inbound number each, expiring unless an agent keeps them.
    ("ephemeral", "", "", "", "", "", (), ((Kind.PHONE, "+49 172 3334445"),)),
    ("ephemeral", "", "", "", "", "", (), ((Kind.PHONE, "+49 173 4445556"),)),
    ("ephemeral", "", "", "", "", "", (), ((Kind.PHONE, "+46 70 222 33 13"),)),
    ("ephemeral", "", "", "", "", "", (), ((Kind.PHONE, "+49 175 5556667"),)),
]  # fmt: skip

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


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--contacts",
        type=int,
        default=0,
        metavar="N",
        help="Also generate N synthetic contacts (bulk inserts) for scale testing.",
    )


def seed(options: dict[str, Any], stdout: OutputWrapper) -> None:
    created = seed_demo_contacts()
    stdout.write(f"Demo contacts ready ({created} new).")
    if count := options.get("contacts") or 0:
        generate_contacts(count, stdout=stdout)


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
        contact.tags.set([_tag(name) for name in tags])
        for email, body in DEMO_NOTES.get(identities[0][1], []):
            if author := users.get(email):
                add_note(contact, body=body, author=author)
        created += 1
    return created


def _note_authors() -> set[str]:
    return {email for notes in DEMO_NOTES.values() for email, _body in notes}


def _any_address_exists(identities: Iterable[tuple[str, str]]) -> bool:
    return any(
        Identity.objects.filter(kind=kind, normalised=normalise(kind, value)).exists()
        for kind, value in identities
    )


def _tag(name: str) -> Tag:
    return Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)


# --- Synthetic contacts for scale tests -------------------------------------------------------

BATCH_SIZE = 20_000
PROGRESS_EVERY = 100_000

# fmt: off
FEMALE = (
    "Anna", "Maria", "Julia", "Laura", "Lena", "Sarah", "Katharina", "Sabine", "Claudia",
    "Monika", "Petra", "Susanne", "Nicole", "Stefanie", "Jana", "Hannah", "Lea", "Sophie", "Emma",
    "Mia", "Johanna", "Franziska", "Heike", "Ute", "Karin", "Birgit", "Ingrid", "Elsa", "Astrid",
    "Linnea", "Maja", "Ebba", "Saga", "Ida", "Klara", "Frida", "Annika", "Malin", "Sofia", "Alva",
    "Wilma", "Agnes", "Helena", "Kristina", "Margareta", "Elin", "Moa", "Felicia", "Greta",
    "Annette", "Sanna",
)
MALE = (
    "Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Frank", "Jürgen", "Uwe",
    "Klaus", "Peter", "Wolfgang", "Jan", "Tobias", "Felix", "Lukas", "Jonas", "Leon", "Paul",
    "Maximilian", "Niklas", "Florian", "Sebastian", "Matthias", "Dirk", "Lars", "Erik", "Johan",
    "Anders", "Per", "Nils", "Karl", "Oskar", "Axel", "Gustav", "Björn", "Olof", "Magnus",
    "Henrik", "Mikael", "Fredrik", "Mattias", "Emil", "Hugo", "Elias", "Viktor", "Arvid", "Sven",
    "Gunnar", "Ole",
)
SURNAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Krause", "Meier", "Lehmann", "Köhler", "Herrmann", "König", "Walter", "Peters",
    "Möller", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
    "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Lindström", "Olofsson",
    "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren",
    "Nyström", "Holmberg", "Sandberg", "Ekström", "Sjöberg", "Wallin", "Engström", "Håkansson",
    "Danielsson",
)
# Rare surnames: ~12,500 made-up names, each shared by about twenty people in a million.
SURNAME_STEMS = (
    "Ahl", "Alt", "Bir", "Brand", "Dahl", "Eck", "Ek", "Fahr", "Falk", "Fors", "Gräf", "Gren",
    "Hag", "Hallen", "Hed", "Hell", "Hol", "Horn", "Kranz", "Kron", "Lang", "Lauter", "Lill",
    "Löw", "Malm", "Mors", "Nord", "Ost", "Ram", "Ros", "Sand", "Sauer", "Sjö", "Stein", "Strand",
    "Tann", "Thal", "Träd", "Ulm", "Vall", "Wald", "Wend", "Wester", "Wick", "Win", "Zell",
)
SURNAME_MIDDLES = (
    "a", "e", "i", "o", "u", "ar", "er", "or", "en", "in", "an", "el", "ul", "ing", "ling",
    "ster", "ber",
)
SURNAME_ENDINGS = (
    "berg", "bach", "feld", "hagen", "holm", "holt", "kvist", "mann", "ström", "stedt", "wald",
    "dorf", "huber", "rath", "lund", "mark",
)
GERMAN_PLACES = (
    "Hamburg", "Bremen", "Kiel", "Lübeck", "Hannover", "Rostock", "Berlin", "Köln", "Leipzig",
    "Dresden", "Flensburg", "Husum",
)
SWEDISH_PLACES = (
    "Malmö", "Göteborg", "Uppsala", "Lund", "Örebro", "Västerås", "Helsingborg", "Norrköping",
    "Umeå", "Luleå", "Visby",
)
SWEDISH_ENDINGS = ("son", "ström", "berg", "qvist", "kvist", "gren", "lund", "holm")
SECTORS = (
    "Logistik", "Transport", "Bau", "Holzbau", "Elektro", "Haustechnik", "Medien", "Consulting",
    "Software", "Handel", "Immobilien", "Gastro", "Reisen", "Metallbau", "Druck", "Bygg", "Trä",
    "Mekaniska", "Fastigheter", "Elektriska", "Konsult", "Data", "Frakt", "Byggvaror", "Energi",
    "Marin", "Optik",
)
GERMAN_FORMS = ("GmbH", "GmbH", "AG", "KG", "GmbH & Co. KG", "e.K.", "")
SWEDISH_FORMS = ("AB", "AB", "HB", "")
JOB_TITLES = (
    "Geschäftsführer", "Geschäftsführerin", "Einkaufsleiter", "Einkaufsleiterin", "Projektleiter",
    "Buchhaltung", "Office Manager", "Vertrieb", "Technischer Leiter", "Inhaber", "VD",
    "Inköpschef", "Projektledare", "Ekonomiansvarig", "Säljare", "Kundtjänst",
    "Key Account Manager", "CTO",
)
# fmt: on
TAG_WEIGHTS = (("VIP", 0.02), ("Reseller", 0.04), ("Newsletter", 0.08))
ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "å": "a", "é": "e", " ": ""})

# Numbers are the contact id under a prefix of the contact's country; ids never repeat, so the
# numbers never do. Second numbers (WhatsApp on another phone) use prefixes of their own.
DE_MOBILE, DE_SECOND = ("151", "152", "157", "159"), ("176", "177", "178", "179")
SE_MOBILE, SE_SECOND = ("72", "73"), ("76",)
DE_DIGITS, SE_DIGITS = 8, 7
# Multiplying by a number coprime to 10 permutes the ids below 10**digits, so the numbers look
# random ("0151 53480173", not "0151 00000017") and stay unique.
SCRAMBLE = 7_919_993
EMAIL_DOMAINS = ("example.com", "example.de", "example.se", "example.org", "example.net")

CONTACT_COLUMNS = (
    "id", "kind", "first_name", "last_name", "company", "job_title", "gender", "search_text",
    "expires_at", "created_at", "last_activity_at",
    # Constant for every synthetic contact, appended when a row is written:
    "account_id", "remarks", "attributes", "is_blocked", "blocked_reason", "version", "updated_at",
)  # fmt: skip
IDENTITY_COLUMNS = (
    "contact_id", "kind", "value", "normalised", "verified", "source", "first_seen_at",
    "last_seen_at",
)  # fmt: skip

ContactRow = tuple[Any, ...]
IdentityRow = tuple[int, str, str, str, bool, str, datetime, datetime]


def search_text(first_name: str, last_name: str, company: str) -> str:
    """What Contact.compute_search_text() stores, without building a model instance."""
    parts = [first_name, last_name, company]
    return " ".join(part.strip().lower() for part in parts if part and part.strip())


def generate_contacts(count: int, *, stdout: OutputWrapper | None = None) -> int:
    """Add `count` synthetic contacts with 1-3 identities each, in committed batches: COPY on
    PostgreSQL (a million contacts in minutes), bulk_create elsewhere. Returns the number of
    contacts added. Addresses that already exist (added by hand, say) are left out."""
    _check_number_patterns()
    tag_ids = {name: _tag(name).pk for name, _weight in TAG_WEIGHTS}
    now = timezone.now()
    added = 0
    while added < count:
        size = min(BATCH_SIZE, count - added)
        with transaction.atomic():
            ids = reserve_ids(Contact, size)
            rng = random.Random(ids[0])  # noqa: S311 - demo data, not secrets
            contacts, identities, tags = [], [], []
            for contact_id in ids:
                contact, contact_identities, tag = _synthetic_contact(rng, contact_id, now)
                contacts.append(contact)
                identities.extend(contact_identities)
                if tag:
                    tags.append((contact_id, tag_ids[tag]))
            identities = _without_taken_addresses(identities)
            _insert(contacts, identities, tags, now)
        if stdout and (added + size) // PROGRESS_EVERY > added // PROGRESS_EVERY:
            stdout.write(f"  {added + size:,} of {count:,} synthetic contacts added")
        added += size
    if stdout:
        stdout.write(f"Added {added:,} synthetic contacts.")
    return added


def _synthetic_contact(
    rng: random.Random, contact_id: int, now: datetime
) -> tuple[ContactRow, list[IdentityRow], str]:
    """One contact's row, its identities and its tag ("" for none): ~10% ephemeral, ~60%
    identified, ~30% curated, active at some time in the last two years."""
    roll = rng.random()
    if roll < 0.1:
        return _synthetic_ephemeral(rng, contact_id, now)

    curated = roll >= 0.7
    female = rng.random() < 0.5
    first = rng.choice(FEMALE if female else MALE)
    last = _surname(rng)
    company = _company(rng, last) if rng.random() < (0.8 if curated else 0.5) else ""
    job_title = rng.choice(JOB_TITLES) if curated and rng.random() < 0.6 else ""
    gender = (Gender.FEMALE if female else Gender.MALE).value if rng.random() < 0.7 else ""
    active = now - timedelta(seconds=rng.randrange(730 * 86400))
    created = active - timedelta(seconds=rng.randrange(365 * 86400))
    kind = ContactKind.CURATED.value if curated else ContactKind.IDENTIFIED.value
    text = search_text(first, last, company)
    row = (contact_id, kind, first, last, company, job_title, gender, text, None, created, active)

    source = rng.choice((Source.AGENT, Source.CRM, Source.IMPORT)) if curated else Source.INBOUND
    verified = rng.random() < 0.5

    def identity(kind: str, value: str, normalised: str) -> IdentityRow:
        return (contact_id, kind, value, normalised, verified, source.value, created, active)

    identities = []
    has_email = rng.random() < 0.9
    if has_email:
        local = f"{first}.{last}".lower().translate(ASCII)
        domain = EMAIL_DOMAINS[contact_id % len(EMAIL_DOMAINS)]
        value = f"{local}.{contact_id}@{domain}"
        as_given = value if rng.random() < 0.8 else f"{local.title()}.{contact_id}@{domain}"
        identities.append(identity(Kind.EMAIL.value, as_given, value))
    phone = None
    if rng.random() < 0.8 or not has_email:
        phone = _number(rng, contact_id, second=False)
        identities.append(identity(Kind.PHONE.value, phone[1], phone[0]))
    if rng.random() < 0.35:
        # Half of the WhatsApp users chat from the number they call from.
        same = phone is not None and rng.random() < 0.5
        number, value = phone if same and phone else _number(rng, contact_id, second=True)
        identities.append(identity(Kind.WHATSAPP.value, value, number))
    tag = ""
    tag_roll = rng.random()
    for name, weight in TAG_WEIGHTS:
        if tag_roll < weight:
            tag = name
            break
        tag_roll -= weight
    return row, identities, tag


def _synthetic_ephemeral(
    rng: random.Random, contact_id: int, now: datetime
) -> tuple[ContactRow, list[IdentityRow], str]:
    """An unknown sender: one inbound number, no name, expiring unless an agent keeps it."""
    lifetime = timedelta(days=max(settings.EPHEMERAL_CONTACT_DAYS, 2))
    seen = now - timedelta(seconds=rng.randrange((lifetime.days - 1) * 86400))
    number, value = _number(rng, contact_id, second=False)
    kind, source = ContactKind.EPHEMERAL.value, Source.INBOUND.value
    row = (contact_id, kind, "", "", "", "", "", "", seen + lifetime, seen, seen)
    return row, [(contact_id, Kind.PHONE.value, value, number, False, source, seen, seen)], ""


def _surname(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return rng.choice(SURNAMES)
    stem = rng.choice(SURNAME_STEMS)
    return f"{stem}{rng.choice(SURNAME_MIDDLES)}{rng.choice(SURNAME_ENDINGS)}"


def _company(rng: random.Random, surname: str) -> str:
    stem = surname if rng.random() < 0.6 else rng.choice(GERMAN_PLACES + SWEDISH_PLACES)
    swedish = stem.endswith(SWEDISH_ENDINGS) or stem in SWEDISH_PLACES
    form = rng.choice(SWEDISH_FORMS if swedish else GERMAN_FORMS)
    return " ".join(part for part in (stem, rng.choice(SECTORS), form) if part)


def _number(rng: random.Random, contact_id: int, *, second: bool) -> tuple[str, str]:
    """(E.164, as given) of the contact's first or second mobile number."""
    if contact_id >= 10**DE_DIGITS:
        raise ValueError("synthetic phone numbers run out past contact id 99,999,999")
    if contact_id < 10**SE_DIGITS and rng.random() < 0.3:
        prefix = rng.choice(SE_SECOND if second else SE_MOBILE)
        digits = f"{contact_id * SCRAMBLE % 10**SE_DIGITS:0{SE_DIGITS}d}"
        return f"+46{prefix}{digits}", f"+46 {prefix} {digits[:3]} {digits[3:5]} {digits[5:]}"
    prefix = rng.choice(DE_SECOND if second else DE_MOBILE)
    digits = f"{contact_id * SCRAMBLE % 10**DE_DIGITS:0{DE_DIGITS}d}"
    as_given = f"0{prefix} {digits}" if rng.random() < 0.5 else f"+49 {prefix} {digits}"
    return f"+49{prefix}{digits}", as_given


def _check_number_patterns() -> None:
    """Every prefix with its digit count must make valid numbers, lowest to highest."""
    patterns = [(f"+49{p}", DE_DIGITS) for p in DE_MOBILE + DE_SECOND]
    patterns += [(f"+46{p}", SE_DIGITS) for p in SE_MOBILE + SE_SECOND]
    for prefix, digits in patterns:
        for suffix in ("0" * digits, "5" * digits, "9" * digits):
            if not phonenumbers.is_valid_number(phonenumbers.parse(prefix + suffix)):
                raise ValueError(f"{prefix} with {digits} digits makes invalid numbers")


def _without_taken_addresses(identities: list[IdentityRow]) -> list[IdentityRow]:
    taken: set[tuple[str, str]] = set()
    addresses = [row[3] for row in identities]
    for start in range(0, len(addresses), 10_000):
        chunk = addresses[start : start + 10_000]
        taken.update(
            Identity.objects.filter(normalised__in=chunk).values_list("kind", "normalised")
        )
    return [row for row in identities if (row[1], row[3]) not in taken] if taken else identities


def _insert(
    contacts: list[ContactRow],
    identities: list[IdentityRow],
    tags: list[tuple[int, int]],
    now: datetime,
) -> None:
    constants = ("", "", "{}", False, "", 1, now)
    if connection.vendor == "postgresql":
        _copy(Contact._meta.db_table, CONTACT_COLUMNS, (row + constants for row in contacts))
        _copy(Identity._meta.db_table, IDENTITY_COLUMNS, identities)
        _copy(Contact.tags.through._meta.db_table, ("contact_id", "tag_id"), tags)
        return
    fields = CONTACT_COLUMNS[: -len(constants)]
    Contact.objects.bulk_create(Contact(**dict(zip(fields, row, strict=True))) for row in contacts)
    Identity.objects.bulk_create(
        Identity(**dict(zip(IDENTITY_COLUMNS, row, strict=True))) for row in identities
    )
    Contact.tags.through.objects.bulk_create(
        Contact.tags.through(contact_id=contact_id, tag_id=tag_id) for contact_id, tag_id in tags
    )


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
