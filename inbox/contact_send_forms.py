"""The "Send message" form of the contact card: which of the contact's numbers and addresses,
by which channel, from which inbox. Each choice narrows the next: only channels some inbox of
the user has set up (Settings → Inboxes → Channels), only inboxes that have that channel."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.identities import IdentityKind
from contacts.models import Contact
from inbox.actions import MAX_BODY
from inbox.actions.contact_send import sending_channels
from inbox.models import Channel, Inbox
from inbox.variables import TemplateError, check_template

# The channels that can reach an identity of each kind, the most natural first: a number
# given as WhatsApp is offered WhatsApp before SMS.
REACHES: dict[str, tuple[str, ...]] = {
    IdentityKind.PHONE: (Channel.SMS, Channel.WHATSAPP),
    IdentityKind.WHATSAPP: (Channel.WHATSAPP, Channel.SMS),
    IdentityKind.EMAIL: (Channel.EMAIL,),
}


@dataclass
class Address:
    value: str
    display: str
    kinds: list[str]
    channels: list[str]

    @property
    def label(self) -> str:
        kinds = ", ".join(str(IdentityKind(kind).label) for kind in self.kinds)
        return f"{self.display} ({kinds})"


class ContactSendOptions:
    """What this user may send to this contact: two queries (the contact's identities, when
    not prefetched, and the channels of the user's inboxes)."""

    def __init__(self, user: Any, contact: Contact) -> None:
        self.channels = sending_channels(user)
        self.configured = [c for c in Channel.values if any(ch.kind == c for ch in self.channels)]
        by_value: dict[str, Address] = {}
        identities = sorted(contact.identities.all(), key=lambda i: (i.kind != "phone", i.pk))
        for identity in identities:
            if identity.kind not in REACHES:
                continue
            address = by_value.setdefault(
                identity.normalised, Address(identity.normalised, identity.display_value, [], [])
            )
            address.kinds.append(identity.kind)
            for channel in REACHES[identity.kind]:
                if channel in self.configured and channel not in address.channels:
                    address.channels.append(channel)
        self.addresses = list(by_value.values())
        self.reachable = [a for a in self.addresses if a.channels]

    def channels_for(self, value: str | None) -> list[str]:
        address = next((a for a in self.reachable if a.value == value), None)
        return address.channels if address else []

    def inboxes_for(self, channel: str | None) -> list[Inbox]:
        inboxes: dict[int, Inbox] = {}
        for inbox_channel in self.channels:
            if inbox_channel.kind == channel:
                inboxes.setdefault(inbox_channel.inbox_id, inbox_channel.inbox)
        return list(inboxes.values())


def _checked_template(text: str) -> str:
    """`text` when its variables are all known and well written (inbox.variables)."""
    try:
        check_template(text)
    except TemplateError as refused:
        raise forms.ValidationError(refused.message) from None
    return text


def _pick(value: Any, allowed: list[str]) -> str:
    """The submitted value when it is allowed, else the first allowed one ("" if none)."""
    return value if value in allowed else (allowed[0] if allowed else "")


class ContactSendForm(forms.Form):
    address = forms.ChoiceField(
        label=_("To"),
        error_messages={"invalid_choice": _("Choose one of this contact's numbers or addresses.")},
    )
    channel = forms.ChoiceField(
        label=_("Send by"),
        error_messages={"invalid_choice": _("Choose a channel that can reach this address.")},
    )
    inbox = forms.ChoiceField(
        label=_("From inbox"),
        error_messages={
            "invalid_choice": _("Choose an inbox you work in that can send by this channel."),
            "required": _("Choose the inbox to send from."),
        },
    )
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_BODY,
        widget=forms.Textarea,
        error_messages={"required": _("Write a message first.")},
    )
    # Generated when the form is shown: a double submit sends once.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, options: ContactSendOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        source = self.data if self.is_bound else self.initial
        address = _pick(source.get("address"), [a.value for a in options.reachable])
        channels = options.channels_for(address)
        channel = _pick(source.get("channel"), channels)
        self.inboxes = options.inboxes_for(channel)
        self.selected = {"address": address, "channel": channel}
        self.fields["address"].choices = [(a.value, a.label) for a in options.reachable]  # type: ignore[attr-defined]
        self.fields["channel"].choices = [(c, Channel(c).label) for c in channels]  # type: ignore[attr-defined]
        inbox_choices: list[tuple[str, Any]] = [(str(i.pk), i.name) for i in self.inboxes]
        if len(self.inboxes) != 1:
            inbox_choices.insert(0, ("", _("Choose an inbox…")))
        self.fields["inbox"].choices = inbox_choices  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.update(self.selected)
            # A preselected inbox (the conversation's) stays only if it can send this way.
            if self.initial.get("inbox") not in [str(i.pk) for i in self.inboxes]:
                self.initial.pop("inbox", None)
            if len(self.inboxes) == 1:
                self.initial["inbox"] = str(self.inboxes[0].pk)

    @property
    def is_email(self) -> bool:
        return self.selected["channel"] == Channel.EMAIL

    def refreshed_initial(self) -> dict[str, Any]:
        """What a bound form showed, as the initial values of a new form whose choices
        follow the address and channel just picked (the body is kept)."""
        initial = {name: self.data.get(name, "") for name in ("subject", "body", "client_id")}
        initial.update(self.selected)
        inbox = self.data.get("inbox")
        if inbox and inbox in [str(i.pk) for i in self.inboxes]:
            initial["inbox"] = inbox
        return initial

    def clean_subject(self) -> str:
        return _checked_template(self.cleaned_data["subject"])

    def clean_body(self) -> str:
        return _checked_template(self.cleaned_data["body"])

    def clean_inbox(self) -> Inbox:
        value = self.cleaned_data["inbox"]
        return next(i for i in self.inboxes if str(i.pk) == value)
