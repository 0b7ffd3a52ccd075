"""Labels: the admins' vocabulary (create, rename, recolour, delete) and putting labels on
conversations and taking them off — one or many at a time, always one event per
conversation (ConversationEvent LABEL_ADDED / LABEL_REMOVED) naming the label as it was."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from inbox.access import rights_in
from inbox.actions.bulk import Outcome, lock_selected
from inbox.models import (
    Conversation,
    ConversationEvent,
    ConversationLabel,
    Label,
    LabelColour,
)

MAX_LABEL_NAME = 40


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied


def _clean(name: str, colour: str, *, label: Label | None = None) -> tuple[str, str]:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": [_("Give the label a name.")]})
    if len(name) > MAX_LABEL_NAME:
        raise ValidationError(
            {"name": [_("At most %(count)s characters.") % {"count": MAX_LABEL_NAME}]}
        )
    if colour not in LabelColour.values:
        raise ValidationError({"colour": [_("Choose one of the colours.")]})
    same = Label.objects.annotate(lower=Lower("name")).filter(lower=name.lower())
    if label is not None:
        same = same.exclude(pk=label.pk)
    if same.exists():
        raise ValidationError({"name": [_("A label with this name exists already.")]})
    return name, colour


def _save(label: Label) -> None:
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError as exc:  # the same name saved at the same moment
        raise ValidationError({"name": [_("A label with this name exists already.")]}) from exc
    Label.forget_cached()


@transaction.atomic
def create_label(*, name: str, colour: str, actor: User) -> Label:
    """An admin adds a label (names are unique, ignoring case)."""
    _require_admin(actor)
    name, colour = _clean(name, colour)
    label = Label(name=name, colour=colour)
    _save(label)
    return label


@transaction.atomic
def update_label(label: Label, *, name: str, colour: str, actor: User) -> Label:
    """An admin renames or recolours a label; its conversations keep it (their events keep
    the name it had when it was added)."""
    _require_admin(actor)
    label.name, label.colour = _clean(name, colour, label=label)
    _save(label)
    return label


@transaction.atomic
def delete_label(label: Label, *, actor: User) -> int:
    """An admin deletes a label: it comes off every conversation, each with a LABEL_REMOVED
    event (in one statement), and the live list redraws them. Returns how many had it."""
    _require_admin(actor)
    links = ConversationLabel.objects.filter(label=label)
    ids = list(links.values_list("conversation_id", flat=True))
    if ids:
        ConversationEvent.objects.record_many(
            ids,
            ConversationEvent.Kind.LABEL_REMOVED,
            actor=actor,
            label=label.pk,
            name=label.name,
            deleted=True,
        )
        Conversation.objects.filter(pk__in=ids).touch()
    label.delete()
    Label.forget_cached()
    return len(ids)


def _members_only(conversations: list[Conversation], actor: User, outcome: Outcome) -> list:
    """The conversations whose inbox `actor` works in; the others are skipped (seeing every
    inbox is not working in it — the rule of comments and labels)."""
    allowed = []
    for conversation in conversations:
        if rights_in(actor, conversation).role is None:
            outcome.skipped.append((conversation, _("You are not a member of this inbox.")))
        else:
            allowed.append(conversation)
    return allowed


@transaction.atomic
def add_label_to_many(ids: list[int], *, label: Label, actor: User) -> Outcome:
    """Put `label` on the selected conversations the actor works in; those that have it
    already are unchanged. One insert, one update (for the live list), one event each."""
    outcome = Outcome()
    allowed = _members_only(lock_selected(ids, actor=actor), actor, outcome)
    pks = [c.pk for c in allowed]
    having = set(
        ConversationLabel.objects.filter(label=label, conversation_id__in=pks).values_list(
            "conversation_id", flat=True
        )
    )
    new = [pk for pk in pks if pk not in having]
    outcome.unchanged = sorted(having)
    ConversationLabel.objects.bulk_create(
        [ConversationLabel(conversation_id=pk, label=label, added_by=actor) for pk in new],
        ignore_conflicts=True,
    )
    if new:
        Conversation.objects.filter(pk__in=new).touch(
            in_inboxes={c.inbox_id for c in allowed if c.pk in set(new)}
        )
        ConversationEvent.objects.record_many(
            new, ConversationEvent.Kind.LABEL_ADDED, actor=actor, label=label.pk, name=label.name
        )
    outcome.changed = new
    return outcome


@transaction.atomic
def remove_label_from_many(ids: list[int], *, label: Label, actor: User) -> Outcome:
    """Take `label` off the selected conversations the actor works in; those without it are
    unchanged. One delete, one update, one event each."""
    outcome = Outcome()
    allowed = _members_only(lock_selected(ids, actor=actor), actor, outcome)
    pks = [c.pk for c in allowed]
    links = ConversationLabel.objects.filter(label=label, conversation_id__in=pks)
    having = sorted(links.values_list("conversation_id", flat=True))
    links.delete()
    outcome.unchanged = [pk for pk in pks if pk not in set(having)]
    if having:
        Conversation.objects.filter(pk__in=having).touch(
            in_inboxes={c.inbox_id for c in allowed if c.pk in set(having)}
        )
        ConversationEvent.objects.record_many(
            having,
            ConversationEvent.Kind.LABEL_REMOVED,
            actor=actor,
            label=label.pk,
            name=label.name,
        )
    outcome.changed = having
    return outcome


def _one(outcome: Outcome) -> bool:
    if outcome.skipped:
        raise PermissionDenied(outcome.skipped[0][1])
    return bool(outcome.changed)


def add_label(conversation: Conversation, *, label: Label, actor: User) -> bool:
    """Put `label` on one conversation (from its header). PermissionDenied with the reason
    when the actor does not work in its inbox; False when it had the label already."""
    return _one(add_label_to_many([conversation.pk], label=label, actor=actor))


def remove_label(conversation: Conversation, *, label: Label, actor: User) -> bool:
    """Take `label` off one conversation; False when it did not have it."""
    return _one(remove_label_from_many([conversation.pk], label=label, actor=actor))
