"""Message variables: one template engine (Liquid, see inbox.liquid_env) for replies, the
contact card, campaigns, confirmations and saved templates.

    Hello {{ contact.first_name | default: "there" }}, this is {{ account.company_name }}.

A variable without a value falls back to the template's own `| default: "…"`, then to the
attribute's default value (Settings → Contact attributes), and otherwise the message is
refused with `MissingVariables`, naming what is missing: nothing goes out half filled in.
Values are inserted as they are, never HTML-escaped (these are SMS and plain-text e-mails);
Liquid only looks values up in plain dicts, so a template cannot run code.

The earlier syntax, `{contact_first_name|there}` and `{company_name}`, still works: a text
with no `{{` but such a token is upgraded first (`upgrade_legacy_syntax`), so an agent's
habit keeps working. Other braces ("{ like this }") stay as typed.
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from liquid.exceptions import LiquidError, LiquidSyntaxError, ResourceLimitError, UndefinedError

from accounts.models import Organisation
from contacts.identities import PHONE_KINDS, IdentityKind
from contacts.models import AttributeDefinition
from contacts.settings_forms import NOT_MESSAGE_VARIABLES
from inbox import liquid_env

ACCOUNT_FIELDS = {
    "company_name": gettext_lazy("Company name"),
    "company_address": gettext_lazy("Company address"),
    "company_email": gettext_lazy("Company e-mail"),
    "company_phone": gettext_lazy("Company phone"),
}
# Built-in attributes stored as Contact fields; gender, e-mail and phone are read apart.
CONTACT_FIELDS = ("first_name", "last_name", "company", "job_title", "account_id")

LEGACY = {
    **{name: f"account.{name}" for name in ACCOUNT_FIELDS},
    "contact_first_name": "contact.first_name",
    "contact_last_name": "contact.last_name",
    "contact_company": "contact.company",
}
LEGACY_TOKEN = re.compile(r"\{([a-z_]+)(?:\|([^{}\n]*))?\}")


class TemplateError(ValueError):
    """A message text that cannot be sent as it is; `message` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingVariables(TemplateError):
    """Variables with no value and no default for this recipient (`paths`)."""

    def __init__(self, paths: list[str], *, recipient: str) -> None:
        self.paths = paths
        contact = [p for p in paths if p.startswith("contact.")]
        account = [p for p in paths if not p.startswith("contact.")]
        parts = []
        if contact:
            parts.append(
                ngettext(
                    "%(name)s has no value for %(variables)s and the variable has no default.",
                    "%(name)s has no value for %(variables)s and these variables have no default.",
                    len(contact),
                )
                % {"name": recipient, "variables": ", ".join(contact)}
            )
        if account:
            parts.append(
                _(
                    "The organisation has no value for %(variables)s; an admin fills it in "
                    "under Settings → Organisation."
                )
                % {"variables": ", ".join(account)}
            )
        super().__init__(" ".join(parts))


def upgrade_legacy_syntax(text: str) -> str:
    """`{contact_first_name|there}` → `{{ contact.first_name | default: "there" }}` and
    `{company_name}` → `{{ account.company_name }}`; any other braces are left alone."""

    def upgrade(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name not in LEGACY:
            return match.group(0)
        return output_tag(LEGACY[name], None if default is None else default.strip())

    return LEGACY_TOKEN.sub(upgrade, text)


def output_tag(path: str, default: str | None = None) -> str:
    """`{{ path }}`, or `{{ path | default: "…" }}` when a default is given."""
    if default is None:
        return "{{ " + path + " }}"
    quote = "'" if '"' in default and "'" not in default else '"'
    if quote == '"':
        default = default.replace('"', "'")  # a Liquid string has no escapes
    return "{{ " + f"{path} | default: {quote}{default}{quote}" + " }}"


def _prepared(text: str) -> str:
    """The Liquid text to render: old-style tokens are upgraded when there is no `{{`."""
    if "{{" not in text and any(m.group(1) in LEGACY for m in LEGACY_TOKEN.finditer(text)):
        return upgrade_legacy_syntax(text)
    return text


def _contact_definitions() -> list[AttributeDefinition]:
    """The attributes that are variables, in the admin's order."""
    return [
        d for d in AttributeDefinition.objects.all_cached() if d.key not in NOT_MESSAGE_VARIABLES
    ]


def attribute_defaults() -> dict[str, str]:
    """{"contact.<key>": default value} for every attribute that has one."""
    return {f"contact.{d.key}": d.default_value for d in _contact_definitions() if d.default_value}


def message_context(
    organisation: Any, contact: Any, *, only: Collection[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The values a message may insert, as plain dicts: `account` (the organisation's four
    built-in values and the admin's own) and `contact` (every attribute). Only values that
    are not empty go in, so a missing one falls back to its default. `contact` may be None.
    `only` (from contact_keys_used) limits the contact's values to those a text reads: a
    campaign rendering a hundred thousand messages formats no phone number it never shows."""
    account = dict(organisation.account_variables()) if organisation is not None else {}
    return {
        "account": {key: value for key, value in account.items() if value},
        "contact": _contact_values(contact, only) if contact is not None else {},
    }


def contact_keys_used(*texts: str) -> set[str]:
    """The contact attributes these texts read (`contact.first_name` → "first_name")."""
    keys: set[str] = set()
    for text in texts:
        if "{" in (text or ""):
            for segments in liquid_env.used_paths(_parsed(text)):
                if len(segments) > 1 and segments[0] == "contact" and isinstance(segments[1], str):
                    keys.add(segments[1])
    return keys


def _contact_values(contact: Any, only: Collection[str] | None = None) -> dict[str, Any]:
    wanted = set(CONTACT_FIELDS) | {"gender", "email", "phone"} if only is None else set(only)
    values: dict[str, Any] = {key: getattr(contact, key) for key in CONTACT_FIELDS if key in wanted}
    if "gender" in wanted:
        values["gender"] = contact.get_gender_display() if contact.gender else ""
    if "email" in wanted or "phone" in wanted:
        identities = list(contact.identities.all())
        emails = [i for i in identities if i.kind == IdentityKind.EMAIL]
        phones = [i for i in identities if i.kind in PHONE_KINDS]
        values["email"] = emails[0].display_value if emails else ""
        values["phone"] = phones[0].display_value if phones else ""
    for key, value in (contact.attributes or {}).items():
        usable = isinstance(value, str | int | float | bool) and (only is None or key in wanted)
        if usable and key not in values:
            values[key] = value
    return {key: value for key, value in values.items() if value not in ("", None)}


def _recipient(context: Mapping[str, Any]) -> str:
    contact = context.get("contact") or {}
    full_name = " ".join(contact[k] for k in ("first_name", "last_name") if contact.get(k))
    for name in (full_name, contact.get("company"), contact.get("email"), contact.get("phone")):
        if name:
            return str(name)
    return _("This contact")


def _refusal(error: LiquidError) -> TemplateError:
    """Liquid's error as a sentence for the person who wrote the text."""
    if isinstance(error, ResourceLimitError):
        return TemplateError(
            _(
                "The message would get too long (over %(limit)s characters) or repeat too "
                "often. Shorten it or take out the loop."
            )
            % {"limit": number_format(liquid_env.OUTPUT_LIMIT, force_grouping=True)}
        )
    detail = str(error.message)
    where = error.context()
    if isinstance(error, LiquidSyntaxError):
        return TemplateError(
            _(
                "The message has a mistake on line %(line)s: %(error)s. Variables are written "
                "like {{ contact.first_name }}; the Variables menu inserts them for you."
            )
            % {"line": where[0] if where else 1, "error": detail}
        )
    return TemplateError(_("The message could not be filled in: %(error)s.") % {"error": detail})


def _parsed(text: str) -> str:
    text = _prepared(text)
    try:
        liquid_env.parse(text)
    except LiquidError as error:
        raise _refusal(error) from error
    return text


def variable_paths(text: str) -> set[str]:
    """The variables `text` reads, as dotted paths ("contact.first_name"). Raises
    TemplateError for a syntax mistake."""
    if "{" not in (text or ""):
        return set()
    return {".".join(str(s) for s in segments) for segments in liquid_env.used_paths(_parsed(text))}


def check_template(text: str, *, extra: Mapping[str, Collection[str]] | None = None) -> None:
    """Raise TemplateError when `text` is not a message we could send: a syntax mistake,
    an unknown variable (only `account.<key>` and `contact.<attribute key>` exist, and what
    `extra` adds: {"survey": {"link"}} for a survey campaign, whose caller puts the values in
    the context) or an unknown filter. Whether a given contact has the values is known only
    when rendering."""
    text = _parsed(text)
    known: dict[str, Collection[str]] = {
        "account": {*ACCOUNT_FIELDS, *(Organisation.load().variables or {})},
        "contact": {d.key for d in _contact_definitions()},
        **(extra or {}),
    }
    unknown = set()
    for segments in liquid_env.used_paths(text):
        root, key = segments[0], segments[1] if len(segments) == 2 else None
        if not (isinstance(key, str) and key in known.get(str(root), ())):
            unknown.add(".".join(str(s) for s in segments))
    if unknown:
        names = ", ".join(sorted(unknown))
        raise TemplateError(
            ngettext(
                "There is no variable %(names)s. Insert variables from the Variables menu.",
                "There are no variables %(names)s. Insert variables from the Variables menu.",
                len(unknown),
            )
            % {"names": names}
        )
    filters = sorted(set(liquid_env.used_filters(text)) - set(liquid_env.ENV.filters))
    if filters:
        raise TemplateError(_("There is no filter %(names)s.") % {"names": ", ".join(filters)})


def render_message(
    text: str, context: Mapping[str, Any], *, defaults: Mapping[str, str] | None = None
) -> str:
    """`text` with its variables filled in from `context` (see message_context). Raises
    MissingVariables naming every variable with no value and no default, or TemplateError.
    `defaults` (from attribute_defaults()) saves looking them up when rendering many."""
    if "{" not in text:
        return text
    text = _parsed(text)
    if defaults is None:
        defaults = attribute_defaults()
    try:
        output, missing = liquid_env.render(text, context, defaults)
    except UndefinedError as error:  # a missing value used as a list, a number…
        missing = [str(error.message)]
    except LiquidError as error:
        raise _refusal(error) from error
    if missing:
        raise MissingVariables(sorted(set(missing)), recipient=_recipient(context))
    return output


def render_for(text: str, organisation: Any, contact: Any) -> str:
    """`text` rendered for one contact (None for none) of the organisation."""
    if "{" not in text:
        return text
    return render_message(text, message_context(organisation, contact))


@dataclass(frozen=True)
class MenuEntry:
    label: str
    path: str
    has_fallback: bool

    @property
    def token(self) -> str:
        """What the menu inserts. Without a fallback the token comes with an empty
        `| default: ""` and the cursor between its quotes, so a fallback is typed at once."""
        return output_tag(self.path, None if self.has_fallback else "")

    @property
    def caret(self) -> int | None:
        """Where the cursor goes in the token (None: after it)."""
        return None if self.has_fallback else len(self.token) - len('" }}')


@dataclass(frozen=True)
class MenuGroup:
    label: str
    entries: list[MenuEntry]


def variables_menu() -> list[MenuGroup]:
    """The "Insert a variable" menu: the account values the organisation has, then every
    contact attribute in the admin's order."""
    organisation = Organisation.load()
    values = organisation.account_variables()
    account = [
        MenuEntry(str(label), f"account.{key}", True)
        for key, label in ACCOUNT_FIELDS.items()
        if values.get(key)
    ]
    account += [
        MenuEntry(key, f"account.{key}", True) for key in sorted(organisation.variables or {})
    ]
    contact = [
        MenuEntry(d.display_label, f"contact.{d.key}", bool(d.default_value))
        for d in _contact_definitions()
    ]
    return [MenuGroup(_("Account"), account), MenuGroup(_("Contact"), contact)]
