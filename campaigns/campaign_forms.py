"""Forms of the campaign screens: a new campaign, the editor (message, audience, schedule),
the test send and the recipients' filter."""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import audience, content
from campaigns.models import CampaignType, RecipientStatus, Template
from inbox.models import Channel, Inbox, InboxChannel
from inbox.variables import TemplateError, check_template, variable_paths
from lib.text import without_nul

WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]
MAX_UPLOAD = 2 * 1024 * 1024


class NewCampaignForm(forms.Form):
    inbox = forms.ModelChoiceField(queryset=Inbox.objects.none(), label=_("Inbox"))
    name = forms.CharField(label=_("Name"), max_length=150)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    type = forms.ChoiceField(
        label=_("Type"),
        choices=CampaignType.choices,
        initial=CampaignType.MARKETING,
        help_text=_(
            "Marketing goes only to contacts with consent; service messages (appointments, "
            "orders) ignore marketing consent but never reach anyone who opted out. A survey "
            "asks one of the inbox's surveys, with a link of its own for each recipient; like "
            "marketing, it needs consent."
        ),
    )
    # What a survey campaign sends, when started from the survey's page (checked against
    # what the inbox offers by create_campaign; the editor chooses it otherwise).
    content = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)

    def __init__(self, *args: Any, inboxes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inbox"].queryset = inboxes  # type: ignore[attr-defined]

    def clean_content(self) -> int | None:
        value = self.cleaned_data.get("content") or ""
        return int(value) if value.isdigit() else None  # a hidden field: never an unseen error

    def clean_name(self) -> str:
        return without_nul(self.cleaned_data["name"]).strip()


def _check(text: str, type_: str = "") -> str:
    """The text, when it is a message a campaign of `type_` can send (a survey campaign's
    may use `{{ survey.link }}`, campaigns.content)."""
    text = without_nul(text or "")
    try:
        check_template(text, extra=content.extra_variables(type_))
    except TemplateError as exc:
        elsewhere = content.used_elsewhere(type_, _paths(text))
        raise ValidationError(elsewhere or str(exc)) from exc
    return text


def _paths(text: str) -> set[str]:
    try:
        return variable_paths(text)
    except TemplateError:
        return set()


class CampaignForm(forms.Form):
    """The editor. The audience's rules come as rule-N-field/op/value rows (read by
    `rules_from`), so the page works without JavaScript: "Add rule" submits the form."""

    name = forms.CharField(label=_("Name"), max_length=150)
    type = forms.ChoiceField(label=_("Type"), choices=CampaignType.choices)
    sender = forms.ModelChoiceField(
        label=_("Send from"), queryset=InboxChannel.objects.none(), empty_label=None
    )
    # What a campaign of a later app's type sends (a survey campaign's survey): the choices
    # of its content provider (campaigns.content), shown while that type is chosen.
    # (An integer with a list, not a ChoiceField: a stale choice under another type must not
    # stop the save; clean_content checks it only for the type that uses it.)
    content = forms.IntegerField(label=_("Survey"), required=False, widget=forms.Select)
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=Template.objects.none(), required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=5000,
    )
    match = forms.ChoiceField(
        label=_("Contacts that match"),
        choices=[("all", _("all rules")), ("any", _("any rule"))],
        initial="all",
    )
    include_text = forms.CharField(
        label=_("Also send to (numbers or e-mail addresses, one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    include_file = forms.FileField(
        label=_("…or upload a list (CSV or text, first column)"), required=False
    )
    exclude_text = forms.CharField(
        label=_("Never send to (numbers or e-mail addresses)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    when = forms.ChoiceField(
        label=_("Send"),
        choices=[("now", _("Now, when launched")), ("later", _("At a date and time"))],
        initial="now",
        widget=forms.RadioSelect,
    )
    send_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    window_days = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    window_start = forms.TimeField(
        label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    window_end = forms.TimeField(
        label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    rate = forms.FloatField(
        label=_("Messages per second"),
        required=False,
        min_value=0.1,
        max_value=1000,
        help_text=_("Empty: the inbox's rate for this channel."),
    )

    def __init__(self, *args: Any, campaign: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["sender"].queryset = InboxChannel.objects.filter(  # type: ignore[attr-defined]
            inbox=campaign.inbox, kind=campaign.channel
        )
        self.fields["template"].queryset = (  # type: ignore[attr-defined]
            Template.objects.usable_in(campaign.inbox_id).filter(channel__in=["", campaign.channel])
        )
        self.content_types = content.content_choices(campaign.inbox_id)
        content_field = self.fields["content"]
        content_field.widget.choices = [
            ("", _("Choose…")),
            *[choice for entry in self.content_types for choice in entry.choices],
        ]
        if len(self.content_types) == 1:
            content_field.label = self.content_types[0].label
            content_field.help_text = self.content_types[0].help_text
        self.zone = ZoneInfo(settings.CAMPAIGN_TIME_ZONE)
        self.fields["send_at"].help_text = _("In the time zone %(zone)s.") % {
            "zone": settings.CAMPAIGN_TIME_ZONE
        }
        self.fields["body"].widget.attrs.update(
            {
                "data-variables": "",
                "data-segments": "",
                "data-segments-channel": campaign.channel,
            }
        )
        self.rules: list[dict[str, str]] = []
        self.bad_addresses: list[str] = []

    def clean_body(self) -> str:
        body = _check(self.cleaned_data.get("body", ""), self.cleaned_data.get("type", ""))
        # A survey campaign without {{ survey.link }} would ask and give no way to answer.
        if body.strip():
            missing = content.missing_required(self.cleaned_data.get("type", ""), body)
            if missing:
                raise ValidationError(missing)
        return body

    def clean_subject(self) -> str:
        return _check(self.cleaned_data.get("subject", ""), self.cleaned_data.get("type", ""))

    def clean_content(self) -> int | None:
        """Only for a type with a provider, and one of that provider's choices."""
        chosen = self.cleaned_data.get("content")
        provider = content.provider_of_type(self.cleaned_data.get("type", ""))
        if provider is None:
            return None
        offered = {pk for pk, _label in provider.choices(self.campaign.inbox_id)}
        if chosen is not None and chosen not in offered:
            raise ValidationError(_("Choose one of the list."))
        return chosen

    def clean_send_at(self) -> datetime.datetime | None:
        value = self.cleaned_data.get("send_at")
        if value is None:
            return None
        value = value.replace(tzinfo=self.zone) if timezone.is_naive(value) else value
        return value

    def clean_include_file(self) -> str:
        upload = self.cleaned_data.get("include_file")
        if not upload:
            return ""
        if upload.size > MAX_UPLOAD:
            raise ValidationError(_("The file is larger than 2 MB."))
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        return "\n".join(line.split(",")[0].split(";")[0] for line in text.splitlines())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "later":
            at = data.get("send_at")
            if at is None:
                self.add_error("send_at", _("Choose the date and time."))
            elif at <= timezone.now():
                self.add_error("send_at", _("Choose a time in the future."))
        if not data.get("window_days"):
            self.add_error("window_days", _("Choose at least one day to send on."))
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start >= end:
            self.add_error("window_end", _("The window must end after it starts."))
        if self.campaign.channel == "email" and not data.get("subject") and data.get("body"):
            self.add_error("subject", _("An e-mail needs a subject."))
        self.rules = rules_from(self.data)
        include, bad_in = audience.parse_addresses(
            "\n".join([data.get("include_text", ""), data.get("include_file", "")])
        )
        exclude, bad_out = audience.parse_addresses(data.get("exclude_text", ""))
        self.bad_addresses = bad_in + bad_out
        if self.bad_addresses:
            shown = ", ".join(self.bad_addresses[:5])
            self.add_error(
                "include_text",
                _("These are neither phone numbers nor e-mail addresses: %(list)s")
                % {"list": shown},
            )
        definition = {
            "match": data.get("match", "all"),
            "rules": self.rules,
            "include": {
                "contacts": picked_contacts(self.campaign, self.data),
                "addresses": include,
            },
            "exclude": {
                "contacts": self.campaign.audience.get("exclude", {}).get("contacts", []),
                "addresses": exclude,
            },
        }
        try:
            data["audience"] = audience.clean(definition)
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def values(self) -> dict[str, Any]:
        """What the campaign takes from the form (update_campaign's `values`)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "type": data["type"],
            "sender": data.get("sender"),
            "template": data.get("template"),
            "content_id": data.get("content"),
            "subject": data.get("subject", ""),
            "body": data.get("body", ""),
            "audience": data["audience"],
            "scheduled_at": data.get("send_at") if data.get("when") == "later" else None,
            "window_days": sorted(data.get("window_days") or []),
            "window_start": data["window_start"],
            "window_end": data["window_end"],
            "rate": data.get("rate"),
        }


def initial_for(campaign: Any) -> dict[str, Any]:
    definition = campaign.audience or {}
    zone = ZoneInfo(settings.CAMPAIGN_TIME_ZONE)
    return {
        "name": campaign.name,
        "type": campaign.type,
        "sender": campaign.sender_id,
        "template": campaign.template_id,
        "content": campaign.content_id,
        "subject": campaign.subject,
        "body": campaign.body,
        "match": definition.get("match", "all"),
        "include_text": "\n".join(definition.get("include", {}).get("addresses", [])),
        "exclude_text": "\n".join(definition.get("exclude", {}).get("addresses", [])),
        "when": "later" if campaign.scheduled_at else "now",
        "send_at": campaign.scheduled_at.astimezone(zone).replace(tzinfo=None)
        if campaign.scheduled_at
        else None,
        "window_days": campaign.window_days,
        "window_start": campaign.window_start,
        "window_end": campaign.window_end,
        "rate": campaign.rate,
    }


def picked_contacts(campaign: Any, data: Any) -> list[int]:
    """The include list's picked contacts: those kept, plus the one just added, less the one
    just removed (the editor's "Add" and "Remove" buttons submit the form)."""
    kept = (
        [int(pk) for pk in data.getlist("include_contacts") if str(pk).isdigit()]
        if hasattr(data, "getlist")
        else list(campaign.audience.get("include", {}).get("contacts", []))
    )
    added, removed = str(data.get("include_contact", "")), str(data.get("remove_contact", ""))
    if added.isdigit() and int(added) not in kept:
        kept.append(int(added))
    if removed.isdigit():
        kept = [pk for pk in kept if pk != int(removed)]
    return kept[: audience.MAX_LISTED]


def rules_from(data: Any) -> list[dict[str, str]]:
    """The rule rows of a submitted editor, without removed and blank ones."""
    try:
        rows = min(int(data.get("rule_count", 0)), audience.MAX_RULES + 1)
    except (TypeError, ValueError):
        rows = 0
    removed = str(data.get("remove_rule", ""))
    rules = []
    for n in range(rows):
        if removed == str(n):
            continue
        field = without_nul(str(data.get(f"rule-{n}-field", ""))).strip()
        if not field:
            continue
        rules.append(
            {
                "field": field,
                "op": without_nul(str(data.get(f"rule-{n}-op", ""))).strip(),
                "value": without_nul(str(data.get(f"rule-{n}-value", ""))).strip(),
            }
        )
    return rules


class TestSendForm(forms.Form):
    to = forms.CharField(label=_("Send a test to"), max_length=320)

    def __init__(self, *args: Any, channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel

    def clean_to(self) -> str:
        value = without_nul(self.cleaned_data["to"]).strip()
        normalised, bad = audience.parse_addresses(value)
        wanted_email = self.channel == "email"
        if bad or not normalised or ("@" in normalised[0]) != wanted_email:
            raise ValidationError(
                _("Enter your e-mail address.")
                if wanted_email
                else _("Enter your phone number in international format, e.g. +49 170 1234567.")
            )
        return normalised[0]


class RecipientFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", _("All")), *RecipientStatus.choices])
    after = forms.IntegerField(required=False, min_value=0)
