"""Demo inboxes and conversations for `seed_demo`: "Kundenservice" (open mode) and "Vertrieb"
(assignment mode) with their members, about 240 hand-made conversations of the demo contacts
over the last 30 days (the bulk volume for benchmarks is in demo.synthetic_conversations).

The hand-made set goes through `actions.receive_message` like real webhooks, so contacts are
matched (unknown senders become ephemeral contacts) and events are written. It is created
once: when Kundenservice already has conversations, a second run changes nothing.
"""

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from contacts.models import Identity
from inbox.actions import IncomingMessage, receive_message, set_status
from inbox.actions.assignment import assign, capacity_of
from inbox.language import guess_language
from inbox.models import (
    AgentCapacity,
    Channel,
    Conversation,
    ConversationEvent,
    DeliveryStatus,
    Direction,
    Inbox,
    InboxChannel,
    InboxMode,
    InboxRole,
    Membership,
    Message,
)

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
# Open conversations an agent holds stay this far below their routing capacity, so routing
# mode still hands them the next one ("3 of 5 open"); the rest waits unassigned.
CAPACITY_HEADROOM = 2
# What is still open, pending or waiting started in the last days; older cases are resolved.
STILL_OPEN_DAYS = 10
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
    identities = Identity.objects.filter(kind__in=CHANNEL_OF_KIND).order_by("id")
    # One sender per address, also where several contacts share it (a family's landline).
    senders = list({(CHANNEL_OF_KIND[kind], value): (CHANNEL_OF_KIND[kind], value, contact_kind)
                    for kind, value, contact_kind in identities.values_list(
                        "kind", "normalised", "contact__kind")}.values())  # fmt: skip
    senders += [(channel, address, "ephemeral") for channel, address in UNKNOWN_SENDERS]
    known = [sender for sender in senders if sender[2] != "ephemeral"]
    rng = random.Random(20250611)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    # An unknown sender's contact was created by their first message and is removed
    # EPHEMERAL_CONTACT_DAYS later, so unknown senders only write within that time.
    recent = now - timedelta(days=max(settings.EPHEMERAL_CONTACT_DAYS - 2, 1))
    starts = sorted(now - timedelta(seconds=rng.randrange(DAYS * 86400)) for _ in range(count))
    plans = []
    for started in starts:
        channel, address, _kind = rng.choice(senders if started >= recent else known)
        scenario = rng.choice([s for s in SCENARIOS if channel in s[1]])
        plans.append((started, channel, address, scenario))
    # The newest message of all comes from an address several contacts share and waits for an
    # agent to choose who wrote (the panel's chooser).
    shared = dict(identities.filter(shared=True).values_list("normalised", "kind"))
    if shared and plans:
        address = min(shared)
        channel = CHANNEL_OF_KIND[shared[address]]
        scenario = next(s for s in SCENARIOS if s[0] == SERVICE and channel in s[1])
        plans[-1] = (plans[-1][0], channel, address, scenario)
    # Only a sender's newest conversation in an inbox may stay open: an earlier open one would
    # take in the later messages (receive_message continues an open conversation).
    newest = {(plan[3][0], plan[1], plan[2]): number for number, plan in enumerate(plans)}
    room = Counter({email: capacity_of(user) - CAPACITY_HEADROOM for email, user in users.items()})
    for number, (started, channel, address, scenario) in enumerate(plans):
        last = newest[(scenario[0], channel, address)] == number
        outcome = "resolved"
        if last and started >= now - timedelta(days=STILL_OPEN_DAYS):
            outcome = rng.choices(["resolved", "pending", "open", "waiting"], [25, 20, 20, 35])[0]
        if last and address in shared:
            outcome = "waiting"
        _conversation(
            rng, inboxes[scenario[0]], users, f"demo-{number:04d}", started, now, channel, address,
            scenario, outcome, room,
        )  # fmt: skip
    return count


@contextmanager
def _happening_at(at: datetime) -> Iterator[None]:
    """The conversation events written inside the block get the story's time `at` instead of
    the moment the seed ran: "Conversation started" with the first message, "Assigned" just
    before the reply, "Resolved" after the last message."""
    mark = ConversationEvent.objects.aggregate(last=Max("id"))["last"] or 0
    yield
    ConversationEvent.objects.filter(id__gt=mark).update(created_at=at)


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
    room: Counter[str],
) -> None:
    """One conversation as its story goes. An agent only takes (or is given) a conversation
    that stays open while they have `room` below their capacity; in assignment mode, where
    only the assignee answers, a conversation nobody has room for waits unanswered."""
    language = _language(address)
    turns = list(scenario[3][language])
    if outcome == "waiting":  # the customer wrote last and nobody has answered yet
        limit = rng.randrange(len(turns))
        turns = turns[: max(i for i, turn in enumerate(turns[: limit + 1]) if turn[0] != ">") + 1]
    elif outcome == "pending" and not turns[-1].startswith(">"):
        turns.append(PENDING[language])
    names, weights = zip(*REPLIERS[inbox.name], strict=True)
    agent, manager = users.get(rng.choices(names, weights)[0]) or users[MANAGER], users[MANAGER]
    may_assign = True
    if outcome != "resolved":
        free = [users[name] for name in names if name in users and room[name] > 0]
        if agent.email not in {user.email for user in free}:
            agent, may_assign = (free[0], True) if free else (agent, False)
        if not may_assign and inbox.is_assignment_mode:
            turns, outcome = turns[:1], "waiting"

    def take(conversation: Conversation, at: datetime) -> None:
        with _happening_at(at):
            assign(conversation, assignee=agent, actor=manager)
        conversation.assignee = agent
        if outcome != "resolved":
            room[agent.email] -= 1

    conversation = None
    for position, text in enumerate(turns):
        if at > now:
            break
        if not text.startswith(">"):
            with _happening_at(at):
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
                inbox.is_assignment_mode or (rng.random() < 0.2 and may_assign)
            ):
                take(conversation, at)
            _reply_row(conversation, body=text[1:], author=agent, at=at, key=f"{key}-{position}")
        at += timedelta(minutes=rng.choice((4, 11, 25, 48, 95, 180, 420)))
    if conversation is None:
        return
    at = min(at, now)
    if outcome == "waiting" and rng.random() < 0.25 and may_assign:
        if conversation.assignee_id is None:
            take(conversation, at)
    elif outcome in ("resolved", "pending"):
        with _happening_at(at):
            set_status(conversation, status=outcome, actor=manager)
    # Its last change is the last thing that happened to it, not the moment the seed ran.
    events = ConversationEvent.objects.filter(conversation=conversation)
    last_event = events.aggregate(at=Max("created_at"))["at"]
    rows = Conversation.objects.filter(pk=conversation.pk)
    last_message = rows.values_list("last_message_at", flat=True)[0]
    rows.update(updated_at=max(filter(None, [last_event, last_message])))


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
