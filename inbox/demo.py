"""Demo inboxes and conversations for `seed_demo`: "Kundenservice" (open mode) and "Vertrieb"
(assignment mode) with their members, about 240 hand-made conversations of the demo contacts
over the last 30 days, and with `--conversations N --messages-per M` bulk volume for
benchmarks (COPY on PostgreSQL: 100,000 conversations with a million messages in minutes).

The hand-made set goes through `actions.receive_message` like real webhooks, so contacts are
matched (unknown senders become ephemeral contacts) and events are written. It is created
once: when Kundenservice already has conversations, a second run changes nothing.
"""

import functools
import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import CommandParser, OutputWrapper
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from contacts.models import Identity
from inbox.actions import IncomingMessage, receive_message, set_status
from inbox.actions.assignment import assign
from inbox.language import guess_language
from inbox.models import (
    AgentCapacity,
    Channel,
    Conversation,
    ConversationEvent,
    Counter,
    DeliveryStatus,
    Direction,
    Inbox,
    InboxChannel,
    InboxMode,
    InboxRole,
    Membership,
    Message,
)
from lib.bulk import reserve_ids

PROVIDER, HANDMADE, DAYS = "demo", 240, 30
MANAGER, ANNA, ERIK = (
    "manager@nordlicht.example",
    "anna@nordlicht.example",
    "erik@nordlicht.example",
)
SERVICE, SALES = "Kundenservice", "Vertrieb"
INBOXES = {SERVICE: InboxMode.OPEN, SALES: InboxMode.ASSIGNMENT}
# Our numbers and addresses (example ranges: +49 30 … is Berlin, example.com is reserved).
CHANNELS = [
    (SERVICE, Channel.SMS, "+4930901820"),
    (SERVICE, Channel.WHATSAPP, "+4930901820"),
    (SERVICE, Channel.EMAIL, "service@nordlicht.example"),
    (SALES, Channel.SMS, "+4930901821"),
    (SALES, Channel.WHATSAPP, "+4930901821"),
    (SALES, Channel.EMAIL, "vertrieb@nordlicht.example"),
]
# The manager runs both inboxes, Anna works in both, Erik only in sales.
MEMBERSHIPS = [
    (SERVICE, MANAGER, InboxRole.MANAGER),
    (SALES, MANAGER, InboxRole.MANAGER),
    (SERVICE, ANNA, InboxRole.MEMBER),
    (SALES, ANNA, InboxRole.MEMBER),
    (SALES, ERIK, InboxRole.MEMBER),
]
REPLIERS = {SERVICE: ((ANNA, 6), (MANAGER, 3)), SALES: ((ERIK, 5), (ANNA, 4), (MANAGER, 1))}
CHANNEL_OF_KIND = {"email": "email", "phone": "sms", "whatsapp": "whatsapp"}
ALL, CHAT = ("sms", "whatsapp", "email"), ("sms", "whatsapp")

# --- What customers write ---------------------------------------------------------------------
# (inbox, channels, e-mail subject, {language: turns}); a turn starting with ">" is a reply.
Scenario = tuple[str, tuple[str, ...], str, dict[str, tuple[str, ...]]]
SCENARIOS: list[Scenario] = [
    (SERVICE, ALL, "Lieferung 48213", {
        "de": ("Hallo, meine Bestellung 48213 sollte gestern kommen. Können Sie nachsehen?",
               ">Guten Tag! Das Paket liegt in Hamburg und kommt morgen bis 12 Uhr.",
               "Super, danke für die schnelle Antwort!"),
        "sv": ("Hej! Min beställning 48213 skulle komma igår. Kan ni kolla?",
               ">Hej! Paketet ligger på terminalen i Malmö och kommer i morgon före lunch.",
               "Tack för snabbt svar!"),
        "en": ("Hi, my order 48213 was due yesterday and hasn't arrived. Could you check?",
               ">Hello! The parcel is at the Hamburg depot and arrives tomorrow before noon.",
               "Great, thanks!")}),
    (SERVICE, ALL, "Rechnung RE-2291", {
        "de": ("Guten Morgen, die Rechnung RE-2291 wurde zweimal abgebucht.",
               ">Das tut mir leid! Die Rückbuchung ist veranlasst, 3 bis 5 Werktage.",
               "Danke, dann warte ich ab."),
        "sv": ("God morgon, faktura RE-2291 har dragits två gånger.",
               ">Ber om ursäkt! Återbetalningen är begärd, 3 till 5 bankdagar.",
               "Tack, då väntar jag."),
        "en": ("Good morning, invoice RE-2291 was charged twice.",
               ">Sorry about that! The refund is on its way; it takes 3 to 5 working days.",
               "Thanks, I'll keep an eye out.")}),
    (SERVICE, CHAT, "", {
        "de": ("Hi, kann ich meinen Termin am Donnerstag auf Freitag verschieben?",
               ">Klar, Freitag 10:30 ist frei. Passt das?", "Perfekt 👍",
               ">Erledigt, die Bestätigung kommt gleich."),
        "sv": ("Hej, kan jag flytta min tid på torsdag till fredag?",
               ">Absolut, fredag 10:30 är ledig. Passar det?", "Perfekt 👍",
               ">Klart, du får en bekräftelse strax."),
        "en": ("Hi, can I move my appointment from Thursday to Friday?",
               ">Sure, Friday 10:30 is free. Does that work?", "Perfect 👍",
               ">Done, you'll get a confirmation shortly.")}),
    (SERVICE, ALL, "Gerät startet nicht", {
        "de": ("Das Gerät von letzter Woche startet nicht mehr, die LED blinkt rot.",
               ">Das klingt nach dem Netzteil. Können Sie ein anderes Kabel probieren?",
               "Mit dem anderen Kabel geht es. Schicken Sie ein neues?",
               ">Ja, ein neues Netzteil ist unterwegs."),
        "sv": ("Enheten vi fick förra veckan startar inte, lampan blinkar rött.",
               ">Det låter som nätaggregatet. Kan ni prova en annan kabel?",
               "Med den andra kabeln fungerar det. Skickar ni en ny?",
               ">Ja, ett nytt nätaggregat är på väg."),
        "en": ("The unit we got last week won't start, the LED is blinking red.",
               ">That sounds like the power supply. Could you try another cable?",
               "Works with the other cable. Can you send a new one?",
               ">Yes, a new power supply is on its way.")}),
    (SERVICE, ALL, "Rücksendung 51022", {
        "de": ("Ich möchte zwei Artikel aus Bestellung 51022 zurückschicken. Wie geht das?",
               ">Gern! Das Rücksendeetikett ist per E-Mail unterwegs."),
        "sv": ("Jag vill returnera två artiklar från order 51022. Hur gör jag?",
               ">Självklart! Jag har mejlat en returetikett."),
        "en": ("I'd like to return two items from order 51022. How do I do that?",
               ">Of course! I've e-mailed you a return label.")}),
    (SERVICE, CHAT, "", {
        "de": ("Habt ihr heute bis 18 Uhr geöffnet?", ">Ja, heute bis 18 Uhr, samstags bis 14."),
        "sv": ("Har ni öppet till 18 idag?", ">Ja, idag till 18, lördagar till 14."),
        "en": ("Are you open until 6 pm today?", ">Yes, until 6 pm, and Saturdays until 2.")}),
    (SALES, ALL, "Angebot 50 Lizenzen", {
        "de": ("Guten Tag, wir brauchen ein Angebot für 50 Lizenzen inkl. Schulung.",
               ">Gern, bis wann benötigen Sie es?", "Bis Ende der Woche wäre gut.",
               ">Sie bekommen es bis Donnerstag."),
        "sv": ("Hej, vi behöver en offert på 50 licenser inklusive utbildning.",
               ">Gärna, när behöver ni den?", "Senast i slutet av veckan.",
               ">Ni får den senast på torsdag."),
        "en": ("Hello, we need a quote for 50 licences including training.",
               ">Happy to help. When do you need it by?", "End of the week would be good.",
               ">You'll have it by Thursday.")}),
    (SALES, ALL, "Mengenrabatt", {
        "de": ("Gibt es ab 200 Stück einen Mengenrabatt?", ">Ja, ab 200 Stück 8 %, ab 500 12 %.",
               "Dann nehmen wir 500. Bitte Auftragsbestätigung an den Einkauf."),
        "sv": ("Finns det mängdrabatt från 200 st?", ">Ja, 8 % från 200 st och 12 % från 500.",
               "Då tar vi 500. Skicka orderbekräftelse till inköp."),
        "en": ("Is there a volume discount from 200 units?", ">Yes, 8% from 200 and 12% from 500.",
               "Then we'll take 500. Please send the confirmation to purchasing.")}),
    (SALES, ALL, "Vertragsverlängerung", {
        "de": ("Unser Vertrag läuft im März aus. Können wir über eine Verlängerung sprechen?",
               ">Sehr gern. Passt ein Anruf am Dienstag um 14 Uhr?", "Ja, Dienstag 14 Uhr passt."),
        "sv": ("Vårt avtal går ut i mars. Kan vi prata om en förlängning?",
               ">Gärna. Passar ett samtal på tisdag kl. 14?", "Ja, tisdag kl. 14 passar bra."),
        "en": ("Our contract ends in March. Can we talk about renewing it?",
               ">Gladly. Would a call on Tuesday at 2 pm suit you?", "Yes, Tuesday at 2 works.")}),
    (SALES, CHAT, "", {
        "de": ("Können Sie mir nächste Woche eine Demo zeigen?",
               ">Natürlich! Mittwoch 9 Uhr oder Freitag 15 Uhr?", "Mittwoch 9 Uhr bitte."),
        "sv": ("Kan ni visa en demo nästa vecka?", ">Självklart! Onsdag kl. 9 eller fredag kl. 15?",
               "Onsdag kl. 9 tack."),
        "en": ("Could you show us a demo next week?", ">Of course! Wednesday 9 am or Friday 3 pm?",
               "Wednesday 9 am, please.")}),
]  # fmt: skip
PENDING = {
    "de": ">Ich kläre das mit der Fachabteilung und melde mich morgen.",
    "sv": ">Jag stämmer av med avdelningen och återkommer i morgon.",
    "en": ">I'm checking with the team and will get back to you tomorrow.",
}
# The demo contacts include four unknown senders (ephemeral contacts); this number is new, so
# its first message creates one more, as a real first message would. (More would upset the
# contact demo's own counts.)
UNKNOWN_SENDERS = [("sms", "+49 163 1234501")]


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--conversations",
        type=int,
        default=0,
        metavar="N",
        help="Also generate N synthetic conversations (bulk inserts) for benchmarks.",
    )
    parser.add_argument(
        "--messages-per",
        type=int,
        default=10,
        metavar="M",
        help="Average number of messages per synthetic conversation (default 10).",
    )


def seed(options: dict[str, Any], stdout: OutputWrapper) -> None:
    inboxes = seed_inboxes()
    created = seed_conversations(inboxes)
    stdout.write(f"Demo inboxes ready ({created} new conversations).")
    if count := options.get("conversations") or 0:
        generate_conversations(count, messages_per=options.get("messages_per") or 10, stdout=stdout)


@transaction.atomic
def seed_inboxes() -> dict[str, Inbox]:
    """The two demo inboxes and their memberships, created when missing."""
    inboxes = {}
    for name, mode in INBOXES.items():
        inbox = Inbox.objects.filter(name=name).order_by("id").first()
        inboxes[name] = inbox or Inbox.objects.create(name=name, mode=mode)
    users = {u.email: u for u in User.objects.filter(email__in=[MANAGER, ANNA, ERIK])}
    for inbox_name, email, role in MEMBERSHIPS:
        if email in users:
            Membership.objects.get_or_create(
                inbox=inboxes[inbox_name], user=users[email], defaults={"role": role}
            )
    if ERIK in users:
        AgentCapacity.objects.get_or_create(user=users[ERIK], defaults={"limit": 4})
    for inbox_name, kind, address in CHANNELS:
        InboxChannel.objects.get_or_create(
            kind=kind, address=address, defaults={"inbox": inboxes[inbox_name]}
        )
    return inboxes


# --- The hand-made set ------------------------------------------------------------------------


@transaction.atomic
def seed_conversations(inboxes: dict[str, Inbox], *, count: int = HANDMADE) -> int:
    """About `count` conversations with short threads, once; returns how many were created."""
    users = {u.email: u for u in User.objects.filter(email__in=[MANAGER, ANNA, ERIK])}
    if MANAGER not in users or Conversation.objects.filter(inbox=inboxes[SERVICE]).exists():
        return 0
    senders = [(CHANNEL_OF_KIND[kind], value) for kind, value in Identity.objects.filter(
        kind__in=CHANNEL_OF_KIND).order_by("id").values_list("kind", "normalised")]  # fmt: skip
    senders += UNKNOWN_SENDERS
    rng = random.Random(20250611)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    starts = sorted(now - timedelta(seconds=rng.randrange(DAYS * 86400)) for _ in range(count))
    plans = []
    for started in starts:
        channel, address = rng.choice(senders)
        scenario = rng.choice([s for s in SCENARIOS if channel in s[1]])
        plans.append((started, channel, address, scenario))
    # Only a sender's newest conversation in an inbox may stay open: an earlier open one would
    # take in the later messages (receive_message continues an open conversation).
    newest = {(plan[3][0], plan[1], plan[2]): number for number, plan in enumerate(plans)}
    for number, (started, channel, address, scenario) in enumerate(plans):
        last = newest[(scenario[0], channel, address)] == number
        outcome = "resolved"
        if last:
            outcome = rng.choices(["resolved", "pending", "open", "waiting"], [40, 12, 18, 30])[0]
        _conversation(
            rng, inboxes[scenario[0]], users, f"demo-{number:04d}", started, now, channel, address,
            scenario, outcome,
        )  # fmt: skip
    return count


def _language(address: str) -> str:
    if address.startswith("+46") or address.endswith(".se"):
        return "sv"
    return "en" if address.endswith((".com", ".org", ".net")) else "de"


def _conversation(
    rng: random.Random,
    inbox: Inbox,
    users: dict[str, User],
    key: str,
    at: datetime,
    now: datetime,
    channel: str,
    address: str,
    scenario: Scenario,
    outcome: str,
) -> None:
    language = _language(address)
    turns = list(scenario[3][language])
    if outcome == "waiting":  # the customer wrote last and nobody has answered yet
        limit = rng.randrange(len(turns))
        turns = turns[: max(i for i, turn in enumerate(turns[: limit + 1]) if turn[0] != ">") + 1]
    elif outcome == "pending" and not turns[-1].startswith(">"):
        turns.append(PENDING[language])
    names, weights = zip(*REPLIERS[inbox.name], strict=True)
    agent, manager = users.get(rng.choices(names, weights)[0]) or users[MANAGER], users[MANAGER]
    conversation = None
    for position, text in enumerate(turns):
        if at > now:
            break
        if not text.startswith(">"):
            conversation = receive_message(
                IncomingMessage(
                    inbox=inbox,
                    channel=channel,
                    address=address,
                    body=text,
                    subject=scenario[2] if channel == "email" else "",
                    provider=PROVIDER,
                    provider_message_id=f"{key}-{position}",
                    received_at=at,
                )
            ).message.conversation
        elif conversation is not None:
            # In assignment mode only the assignee answers; in open mode some are assigned too.
            if conversation.assignee_id is None and (
                inbox.is_assignment_mode or rng.random() < 0.2
            ):
                assign(conversation, assignee=agent, actor=manager)
                conversation.assignee = agent
            _reply_row(conversation, body=text[1:], author=agent, at=at, key=f"{key}-{position}")
        at += timedelta(minutes=rng.choice((4, 11, 25, 48, 95, 180, 420)))
    if conversation is not None and outcome == "waiting" and rng.random() < 0.25:
        assign(conversation, assignee=agent, actor=manager)
    elif conversation is not None and outcome in ("resolved", "pending"):
        set_status(conversation, status=outcome, actor=manager)


def _reply_row(
    conversation: Conversation, *, body: str, author: User, at: datetime, key: str
) -> None:
    """An agent's reply as delivery left it: stored, sent and delivered (no task runs)."""
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        body=body,
        language=guess_language(body),
        author=author,
        provider=PROVIDER,
        provider_message_id=f"{key}-out",
        status=DeliveryStatus.DELIVERED,
        created_at=at,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=at, last_message_preview=body[:140], waiting_since=None, updated_at=at
    )
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.REPLY_SENT,
        actor=author,
        data={"message": message.pk},
        created_at=at,
    )


# --- Synthetic volume for benchmarks ------------------------------------------------------------

BATCH = 5_000  # conversations per transaction (about 50,000 messages)
CONVERSATION_COLUMNS = (
    "id", "inbox_id", "contact_id", "identity_id", "channel", "address", "number", "status",
    "assignee_id", "subject", "last_message_at", "last_message_preview", "waiting_since",
    "created_at", "updated_at",
    # Constant for every synthetic conversation, appended when a row is written:
    "contact_state", "candidate_ids", "is_flagged",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "conversation_id", "direction", "body", "author_id", "provider", "provider_message_id",
    "status", "created_at", "language",
    # Constant (the last five, given only to COPY):
    "html", "error", "is_flagged", "error_code", "attempts",
)  # fmt: skip


def generate_conversations(
    count: int, *, messages_per: int = 10, stdout: OutputWrapper | None = None
) -> tuple[int, int]:
    """Add `count` conversations with about `messages_per` messages each (exponentially
    distributed, at least one), spread over the last year, in the demo inboxes, from
    existing contacts' addresses (a few thousand synthetic contacts are generated first
    when there are none). About 70% are resolved, 10% pending and 20% open, half of those
    assigned. Numbers come from the conversation Counter, bumped once by `count`. COPY on
    PostgreSQL, bulk_create elsewhere; no events. Returns (conversations, messages)."""
    inboxes = list(seed_inboxes().values())
    members = {
        inbox.pk: list(Membership.objects.filter(inbox=inbox).values_list("user_id", flat=True))
        for inbox in inboxes
    }
    senders = _bulk_senders(count)
    first_number = _reserve_numbers(count)
    texts = [turn for scenario in SCENARIOS for turns in scenario[3].values() for turn in turns]
    inbound = [text for text in texts if not text.startswith(">")]
    outbound = [text[1:] for text in texts if text.startswith(">")]
    now = timezone.now()
    added = messages = 0
    while added < count:
        size = min(BATCH, count - added)
        rng = random.Random(first_number + added)  # noqa: S311 - demo data, not secrets
        with transaction.atomic():
            ids = reserve_ids(Conversation, size)
            conversations, rows = [], []
            for offset, conversation_id in enumerate(ids):
                inbox = inboxes[rng.randrange(len(inboxes))]
                conversation, thread = _synthetic_conversation(
                    rng, conversation_id, first_number + added + offset, inbox,
                    members[inbox.pk], rng.choice(senders), messages_per, now, inbound, outbound,
                )  # fmt: skip
                conversations.append(conversation)
                rows.extend(thread)
            _insert(conversations, rows)
        added += size
        messages += len(rows)
        if stdout and added % 20_000 < size:
            stdout.write(f"  {added:,} of {count:,} conversations ({messages:,} messages)")
    if stdout:
        stdout.write(f"Added {added:,} synthetic conversations with {messages:,} messages.")
    return added, messages


# The synthetic bodies come from a short list: guess each one's language once.
_body_language = functools.lru_cache(maxsize=1024)(guess_language)


def _synthetic_conversation(
    rng: random.Random,
    conversation_id: int,
    number: int,
    inbox: Inbox,
    members: list[int],
    sender: tuple[int, int, str, str],
    messages_per: int,
    now: datetime,
    inbound: list[str],
    outbound: list[str],
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    contact_id, identity_id, channel, address = sender
    length = max(1, round(rng.expovariate(1 / messages_per)))
    at = now - timedelta(seconds=rng.randrange(365 * 86400))
    roll = rng.random()
    status = "resolved" if roll < 0.7 else "pending" if roll < 0.8 else "open"
    assignee = rng.choice(members) if members and (status != "open" or rng.random() < 0.5) else None
    thread, waiting_since, direction = [], None, "in"
    for position in range(length):
        if at > now:
            break
        if direction == "in":
            body, author, state = rng.choice(inbound), None, DeliveryStatus.RECEIVED.value
            waiting_since = waiting_since or at
        else:
            body, author, state = rng.choice(outbound), assignee, DeliveryStatus.DELIVERED.value
            waiting_since = None
        key = f"bulk-{conversation_id}-{position}"
        thread.append(
            (
                conversation_id,
                direction,
                body,
                author,
                PROVIDER,
                key,
                state,
                at,
                _body_language(body),
            )
        )
        last_at, last_body = at, body
        at += timedelta(seconds=rng.randrange(60, 6 * 3600))
        direction = "out" if direction == "in" and rng.random() < 0.8 else "in"
    subject = "" if channel != "email" else rng.choice(SCENARIOS)[2]
    row = (
        conversation_id, inbox.pk, contact_id, identity_id, channel, address, number, status,
        assignee, subject, last_at, last_body[:140],
        None if status == "resolved" else waiting_since, thread[0][7], last_at,
    )  # fmt: skip
    return row, thread


def _bulk_senders(count: int) -> list[tuple[int, int, str, str]]:
    """(contact id, identity id, channel, normalised address) of existing identities: up
    to one per ten conversations, so that a contact has a few conversations each."""
    wanted = max(100, count // 10)
    rows = list(
        Identity.objects.filter(kind__in=CHANNEL_OF_KIND)
        .order_by("-id")
        .values_list("contact_id", "id", "kind", "normalised")[:wanted]
    )
    if len(rows) < min(wanted, 1_000):
        from contacts.demo import generate_contacts

        generate_contacts(min(wanted, 20_000) - len(rows))
        return _bulk_senders(count) if Identity.objects.exists() else []
    return [(contact, pk, CHANNEL_OF_KIND[kind], value) for contact, pk, kind, value in rows]


@transaction.atomic
def _reserve_numbers(count: int) -> int:
    """Bump the conversation counter once by `count`; returns the first number reserved."""
    Counter.objects.get_or_create(name="conversation")
    counter = Counter.objects.select_for_update().get(name="conversation")
    first = counter.value + 1
    counter.value += count
    counter.save(update_fields=["value"])
    return first


def _insert(conversations: list[tuple[Any, ...]], messages: list[tuple[Any, ...]]) -> None:
    if connection.vendor == "postgresql":
        _copy(
            Conversation._meta.db_table,
            CONVERSATION_COLUMNS,
            ((*r, "linked", "[]", False) for r in conversations),
        )
        _copy(
            Message._meta.db_table, MESSAGE_COLUMNS, ((*r, "", "", False, "", 0) for r in messages)
        )
        return
    fields = CONVERSATION_COLUMNS[:-3]
    Conversation.objects.bulk_create(
        (Conversation(**dict(zip(fields, row, strict=True))) for row in conversations),
        batch_size=1_000,
    )
    message_fields = MESSAGE_COLUMNS[:-5]
    Message.objects.bulk_create(
        (Message(**dict(zip(message_fields, row, strict=True))) for row in messages),
        batch_size=1_000,
    )


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
