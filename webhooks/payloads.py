"""The `data` of each event type, built from the ids an action emitted (lib.events).

Each builder returns a Built: `public` goes to every endpoint — ids, kinds, statuses and
times, nothing that names or describes a person — and `personal` (names, addresses,
message texts, comments, agents' names) is merged into it only for endpoints with
"include personal data". Builders run inside the emitting transaction, so they see the
change as it commits; a builder for an object that is already gone returns None (nothing
is sent).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from campaigns.models import CampaignRecipient
from contacts.consent import Consent, OptOut
from contacts.models import Contact
from inbox.models import Conversation, Message
from surveys.models import SurveyResponse


@dataclass
class Built:
    public: dict[str, Any]
    personal: dict[str, Any] = field(default_factory=dict)
    contact_id: int | None = None


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def merged(public: Any, personal: Any) -> Any:
    """`public` with `personal` laid over it: dicts key by key, lists of the same length
    item by item (a batch of recipients and their addresses)."""
    if isinstance(public, dict) and isinstance(personal, dict):
        out = dict(public)
        for key, value in personal.items():
            out[key] = merged(public[key], value) if key in public else value
        return out
    if isinstance(public, list) and isinstance(personal, list) and len(public) == len(personal):
        return [merged(a, b) for a, b in zip(public, personal, strict=True)]
    return personal


def _contact(contact: Contact) -> tuple[dict[str, Any], dict[str, Any]]:
    public = {
        "id": contact.pk,
        "kind": contact.kind,
        "is_blocked": contact.is_blocked,
        "version": contact.version,
        "created_at": _time(contact.created_at),
        "updated_at": _time(getattr(contact, "updated_at", None)),
    }
    personal = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "company": contact.company,
        "job_title": contact.job_title,
        "account_id": contact.account_id,
        "tags": sorted(contact.tags.values_list("name", flat=True)),
        "attributes": dict(contact.attributes or {}),
        "identities": [
            {"kind": kind, "value": value}
            for kind, value in contact.identities.order_by("id").values_list("kind", "normalised")
        ],
    }
    return public, personal


def contact_event(data: Mapping[str, Any]) -> Built | None:
    contact = Contact.objects.filter(pk=data["contact"]).first()
    if contact is None:
        return None
    public, personal = _contact(contact)
    body: dict[str, Any] = {"contact": public}
    if data.get("fields"):
        body["changed"] = sorted(data["fields"])
    if data.get("absorbed"):
        body["absorbed_contact_id"] = data["absorbed"]
    return Built(body, {"contact": personal}, contact.pk)


def contact_deleted(data: Mapping[str, Any]) -> Built:
    # Only the deletion log's id and its hint, which names no one (contacts.hints).
    return Built({"deleted_contact": {"id": data["deleted_contact"], "hint": data["hint"]}})


def _conversation(conversation: Conversation) -> tuple[dict[str, Any], dict[str, Any]]:
    assignee = conversation.assignee
    public = {
        "id": conversation.pk,
        "number": conversation.number,
        "inbox_id": conversation.inbox_id,
        "channel": conversation.channel,
        "status": conversation.status,
        "contact_id": conversation.contact_id,
        "assignee_id": conversation.assignee_id,
        "created_at": _time(conversation.created_at),
        "last_message_at": _time(conversation.last_message_at),
    }
    personal = {
        "subject": conversation.subject,
        "address": conversation.address,
        "assignee_name": assignee.display_name if assignee is not None else None,
    }
    return public, personal


def conversation_event(data: Mapping[str, Any]) -> Built | None:
    conversation = (
        Conversation.objects.filter(pk=data["conversation"]).select_related("assignee").first()
    )
    if conversation is None:
        return None
    public, personal = _conversation(conversation)
    body: dict[str, Any] = {"conversation": public}
    if "old" in data:
        body["previous_status"] = data["old"]
    return Built(body, {"conversation": personal}, conversation.contact_id)


def message_event(data: Mapping[str, Any]) -> Built | None:
    message = Message.objects.filter(pk=data["message"]).select_related("conversation").first()
    if message is None:
        return None
    conversation = message.conversation
    public = {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "inbox_id": conversation.inbox_id,
        "contact_id": conversation.contact_id,
        "channel": conversation.channel,
        "direction": message.direction,
        "status": message.status,
        "author_id": message.author_id,
        "error_code": message.error_code,
        "created_at": _time(message.created_at),
    }
    personal = {"body": message.body}
    return Built({"message": public}, {"message": personal}, conversation.contact_id)


def recipients_event(data: Mapping[str, Any]) -> Built | None:
    rows = list(
        CampaignRecipient.objects.filter(pk__in=list(data.get("recipients") or []))
        .order_by("id")
        .values(
            "id",
            "campaign_id",
            "contact_id",
            "status",
            "skip_reason",
            "error_code",
            "sent_at",
            "delivered_at",
            "address",
        )
    )
    if not rows:
        return None
    public = [
        {
            "id": row["id"],
            "campaign_id": row["campaign_id"],
            "contact_id": row["contact_id"],
            "status": row["status"],
            "skip_reason": row["skip_reason"],
            "error_code": row["error_code"],
            "sent_at": _time(row["sent_at"]),
            "delivered_at": _time(row["delivered_at"]),
        }
        for row in rows
    ]
    personal = [{"address": row["address"]} for row in rows]
    campaigns = {row["campaign_id"] for row in rows}
    return Built(
        # A batch may span the campaigns of one sender; each recipient names its own.
        {"campaign_id": campaigns.pop() if len(campaigns) == 1 else None, "recipients": public},
        {"recipients": personal},
        # A batch is about many people: erasing one empties its personal part as a whole.
        rows[0]["contact_id"] if len(rows) == 1 else None,
    )


def consent_event(data: Mapping[str, Any]) -> Built | None:
    if data.get("consent"):
        consent = Consent.objects.filter(pk=data["consent"]).select_related("identity").first()
        if consent is None:
            return None
        identity = consent.identity
        public = {
            "kind": "consent",
            "id": consent.pk,
            "purpose": consent.purpose,
            "state": consent.state,
            "basis": consent.basis,
            "source": consent.source,
            "at": _time(consent.at),
        }
    else:
        opt_out = OptOut.objects.filter(pk=data["opt_out"]).select_related("identity").first()
        if opt_out is None:
            return None
        identity = opt_out.identity
        public = {
            "kind": "opt_out",
            "id": opt_out.pk,
            "channel": opt_out.scope,
            "state": opt_out.action,
            "source": opt_out.source,
            "keyword": opt_out.keyword,
            "campaign_id": opt_out.campaign_id,
            "at": _time(opt_out.at),
        }
    public.update(contact_id=identity.contact_id, identity_kind=identity.kind)
    personal = {"identity_value": identity.normalised}
    return Built({"consent": public}, {"consent": personal}, identity.contact_id)


def survey_response_event(data: Mapping[str, Any]) -> Built | None:
    response = SurveyResponse.objects.filter(pk=data["response"]).first()
    if response is None:
        return None
    public = {
        "id": response.pk,
        "survey_id": response.survey_id,
        "contact_id": response.contact_id,
        "agent_id": response.agent_id,
        "score": response.score,
        "source": response.source,
        "answered_at": _time(response.answered_at),
    }
    personal = {"comment": response.comment}
    return Built({"response": public}, {"response": personal}, response.contact_id)


def test_event(data: Mapping[str, Any]) -> Built:
    return Built({"message": "This is a test event from Switchboard.", **data})


BUILDERS: dict[str, Callable[[Mapping[str, Any]], Built | None]] = {
    "contact.created": contact_event,
    "contact.updated": contact_event,
    "contact.merged": contact_event,
    "contact.deleted": contact_deleted,
    "conversation.created": conversation_event,
    "conversation.assigned": conversation_event,
    "conversation.status_changed": conversation_event,
    "message.created": message_event,
    "message.status_changed": message_event,
    "campaign.recipient.updated": recipients_event,
    "consent.changed": consent_event,
    "survey.response.created": survey_response_event,
    "webhook.test": test_event,
}
