"""Actions on many conversations at once, from the list's selection (issue 11): resolve,
mark pending, assign, unassign — and undo a bulk resolve. Labels: inbox.actions.labels.

Each is one transaction and as set-based as the rules allow: the selected conversations are
loaded and locked in one query, the actor's right is decided for each exactly as for one at
a time (inbox.access.rights_in, from the request's memoised scope — no query per row), and
the allowed ones change in one UPDATE per group with one event row each (record_many). A
conversation the actor may not see (another inbox, a forged id) is never loaded, so it is
neither acted on nor reported; one they see but may not change is skipped with the reason.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from inbox.access import rights_in
from inbox.hooks import run_status_change
from inbox.models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    InboxRole,
    Membership,
)
from lib.errors import ActionRefused
from lib.events import emit_many

# The most conversations one request changes: a few pages of the list.
MAX_BULK = 200
UNDO_SALT = "inbox.bulk.undo"
UNDO_SECONDS = 15 * 60


@dataclass
class Outcome:
    """What a bulk action did: the ids it changed, those already as asked, and those
    skipped with the reason (the user may see them but not do this)."""

    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: list[tuple[Conversation, str]] = field(default_factory=list)
    # The status each changed conversation had before (status changes, for undo).
    previous: dict[int, str] = field(default_factory=dict)


def lock_selected(ids: list[int], *, actor: User) -> list[Conversation]:
    """The selected conversations `actor` may see, locked for this transaction, with what
    the rights need (inbox, contact, assignee). Ids of conversations they may not see are
    dropped here. Refused when nothing is selected or too much."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise ActionRefused(_("Select at least one conversation."))
    if len(unique) > MAX_BULK:
        raise ActionRefused(
            _("Select at most %(count)s conversations at a time.") % {"count": MAX_BULK}
        )
    return list(
        Conversation.objects.visible_to(actor)
        .filter(pk__in=unique)
        .select_for_update(of=("self",))
        .select_related("inbox", "contact", "assignee")
        .order_by("pk")
    )


def _group(conversations: list[Conversation], key: Any) -> dict[Any, list[Conversation]]:
    groups: dict[Any, list[Conversation]] = defaultdict(list)
    for conversation in conversations:
        groups[key(conversation)].append(conversation)
    return groups


def _inboxes(conversations: list[Conversation]) -> set[int]:
    return {c.inbox_id for c in conversations}


@transaction.atomic
def bulk_set_status(ids: list[int], *, status: str, actor: User) -> Outcome:
    """Open, pend or resolve the selected conversations: the rule of
    inbox.actions.set_status for each (whoever may reply, managers always, members for a
    blocked sender's), one STATUS event each, the status hooks (a survey on resolve) for
    each, and the webhook events in one batch."""
    if status not in ConversationStatus.values:
        raise ActionRefused(_("Choose a status."))
    outcome = Outcome()
    allowed = []
    for conversation in lock_selected(ids, actor=actor):
        rights = rights_in(actor, conversation)
        if not (rights.can_manage or rights.can_reply or (rights.role and conversation.is_flagged)):
            outcome.skipped.append((conversation, rights.reply_blocked_reason))
        elif conversation.status == status:
            outcome.unchanged.append(conversation.pk)
        else:
            allowed.append(conversation)
    changes: dict[str, Any] = {"status": status}
    if status == ConversationStatus.RESOLVED:
        changes["waiting_since"] = None
    for old, group in _group(allowed, lambda c: c.status).items():
        pks = [c.pk for c in group]
        Conversation.objects.filter(pk__in=pks, status=old).touch(
            in_inboxes=_inboxes(group), **changes
        )
        ConversationEvent.objects.record_many(
            pks, ConversationEvent.Kind.STATUS, actor=actor, old=old, new=status, bulk=True
        )
        for conversation in group:
            outcome.previous[conversation.pk] = old
    emit_many(
        Organisation.SINGLETON_ID,
        "conversation.status_changed",
        [{"conversation": c.pk, "old": outcome.previous[c.pk]} for c in allowed],
    )
    for conversation in allowed:
        old = outcome.previous[conversation.pk]
        for name, value in changes.items():
            setattr(conversation, name, value)
        run_status_change(conversation, old=old, new=status, actor=actor)
        outcome.changed.append(conversation.pk)
    return outcome


def _assign_refusal(
    conversation: Conversation, *, assignee: User, actor: User, assignee_inboxes: set[int]
) -> str:
    """Why `actor` may not give `conversation` to `assignee` ("" when they may): the rules
    of inbox.actions.assignment.assign_to_me and assign, and of what the header offers
    (inbox.access.Rights.can_assign: no assignment in an open inbox)."""
    rights = rights_in(actor, conversation)
    if rights.role is None:
        return _("You are not a member of this inbox.")
    # As the conversation header offers it: nobody owns a conversation of an open inbox,
    # managers included (they may still unassign one assigned before the switch).
    if not conversation.inbox.is_assignment_mode:
        return _("In an open inbox everyone answers; nobody is assigned.")
    if assignee.pk == actor.pk and not rights.can_manage:
        if conversation.assignee_id not in (None, actor.pk):
            return _("%(name)s is handling this conversation.") % {"name": conversation.assignee}
        return ""
    if assignee.pk != actor.pk and rights.role != InboxRole.MANAGER:
        return _("Only a manager of the inbox can assign it to someone else.")
    if not assignee.is_admin and conversation.inbox_id not in assignee_inboxes:
        return _("%(name)s is not a member of this inbox.") % {"name": assignee}
    return ""


def _set_assignee(
    allowed: list[Conversation], *, assignee: User | None, actor: User, outcome: Outcome
) -> Outcome:
    """Give the allowed conversations to `assignee` (None: unassign them), in one UPDATE
    per previous assignee with an ASSIGNED or UNASSIGNED event each, and one webhook
    batch; the changed ones go in the outcome."""
    for previous, group in _group(allowed, lambda c: c.assignee_id).items():
        pks = [c.pk for c in group]
        # Conditional on the assignee seen under the lock (SQLite has no row locks).
        Conversation.objects.filter(pk__in=pks, assignee_id=previous).touch(
            in_inboxes=_inboxes(group), assignee=assignee
        )
        if assignee is None:
            ConversationEvent.objects.record_many(
                pks, ConversationEvent.Kind.UNASSIGNED, actor=actor, previous=previous, bulk=True
            )
        else:
            ConversationEvent.objects.record_many(
                pks,
                ConversationEvent.Kind.ASSIGNED,
                actor=actor,
                assignee=assignee.pk,
                assignee_name=str(assignee),
                previous=previous,
                bulk=True,
            )
    emit_many(
        Organisation.SINGLETON_ID,
        "conversation.assigned",
        [{"conversation": c.pk} for c in allowed],
    )
    outcome.changed = [c.pk for c in allowed]
    return outcome


@transaction.atomic
def bulk_assign(ids: list[int], *, assignee: User, actor: User) -> Outcome:
    """Give the selected conversations to `assignee` (the actor themselves: "assign to
    me"), each by the rules of one at a time; one ASSIGNED event each."""
    if not assignee.is_active:
        raise ActionRefused(_("%(name)s has no licence.") % {"name": assignee})
    assignee_inboxes = set(
        Membership.objects.filter(user=assignee).values_list("inbox_id", flat=True)
    )
    outcome = Outcome()
    allowed = []
    for conversation in lock_selected(ids, actor=actor):
        reason = _assign_refusal(
            conversation, assignee=assignee, actor=actor, assignee_inboxes=assignee_inboxes
        )
        if reason:
            outcome.skipped.append((conversation, reason))
        elif conversation.assignee_id == assignee.pk:
            outcome.unchanged.append(conversation.pk)
        else:
            allowed.append(conversation)
    return _set_assignee(allowed, assignee=assignee, actor=actor, outcome=outcome)


@transaction.atomic
def bulk_unassign(ids: list[int], *, actor: User) -> Outcome:
    """Unassign the selected conversations: managers any, members their own (the rule of
    inbox.actions.assignment.unassign); one UNASSIGNED event each."""
    outcome = Outcome()
    allowed = []
    for conversation in lock_selected(ids, actor=actor):
        rights = rights_in(actor, conversation)
        if rights.role is None or (
            not rights.can_manage and conversation.assignee_id not in (None, actor.pk)
        ):
            outcome.skipped.append(
                (conversation, _("Only the assignee or a manager can hand this back."))
            )
        elif conversation.assignee_id is None:
            outcome.unchanged.append(conversation.pk)
        else:
            allowed.append(conversation)
    return _set_assignee(allowed, assignee=None, actor=actor, outcome=outcome)


def undo_token(outcome: Outcome, *, actor: User) -> str:
    """A signed note of what a bulk resolve changed (each conversation and its status
    before), for its "Undo": only the same user, only for UNDO_SECONDS."""
    return signing.dumps(
        {"user": actor.pk, "previous": {str(pk): outcome.previous[pk] for pk in outcome.changed}},
        salt=UNDO_SALT,
        compress=True,
    )


@transaction.atomic
def undo_resolve(token: str, *, actor: User) -> Outcome:
    """Undo a bulk resolve: exactly the conversations it resolved go back to the status they
    had (open or pending) — those still resolved; one reopened since, or resolved again by
    someone else later, is left as it is. Rights are checked again, as for one at a time.
    Refused for a token that is forged, someone else's or too old."""
    try:
        note = signing.loads(token, salt=UNDO_SALT, max_age=UNDO_SECONDS)
        if note["user"] != actor.pk:
            raise signing.BadSignature
        previous = {int(pk): str(old) for pk, old in note["previous"].items()}
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ActionRefused(_("This can no longer be undone.")) from exc
    outcome = Outcome()
    by_status: dict[str, list[int]] = defaultdict(list)
    for conversation in lock_selected(list(previous), actor=actor):
        old = previous[conversation.pk]
        if conversation.status != ConversationStatus.RESOLVED or old not in (
            ConversationStatus.OPEN,
            ConversationStatus.PENDING,
        ):
            outcome.unchanged.append(conversation.pk)
        else:
            by_status[old].append(conversation.pk)
    for old, pks in by_status.items():
        done = bulk_set_status(pks, status=old, actor=actor)
        outcome.changed += done.changed
        outcome.unchanged += done.unchanged
        outcome.skipped += done.skipped
    return outcome
