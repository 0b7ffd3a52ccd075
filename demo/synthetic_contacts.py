"""Synthetic contacts for scale tests and benchmarks (`seed_demo --contacts N`): as many as
asked, with 1-3 identities each, inserted in committed batches (COPY on PostgreSQL: a million
contacts in minutes). They derive their addresses from their own ids, which never repeat, so
every run adds N more without touching the unique (kind, normalised) index.
"""

import random
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.management.base import OutputWrapper
from django.db import connection, transaction
from django.utils import timezone

from contacts.identities import IdentityKind
from contacts.models import Contact, ContactKind, Gender, Identity, IdentitySource
from demo.contacts import tag_named
from lib.bulk import copy_rows, reserve_ids

Kind, Source = IdentityKind, IdentitySource

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
    tag_ids = {name: tag_named(name).pk for name, _weight in TAG_WEIGHTS}
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
        copy_rows(Contact._meta.db_table, CONTACT_COLUMNS, (row + constants for row in contacts))
        copy_rows(Identity._meta.db_table, IDENTITY_COLUMNS, identities)
        copy_rows(Contact.tags.through._meta.db_table, ("contact_id", "tag_id"), tags)
        return
    fields = CONTACT_COLUMNS[: -len(constants)]
    Contact.objects.bulk_create(Contact(**dict(zip(fields, row, strict=True))) for row in contacts)
    Identity.objects.bulk_create(
        Identity(**dict(zip(IDENTITY_COLUMNS, row, strict=True))) for row in identities
    )
    Contact.tags.through.objects.bulk_create(
        Contact.tags.through(contact_id=contact_id, tag_id=tag_id) for contact_id, tag_id in tags
    )
