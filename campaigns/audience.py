"""Who a campaign goes to: a filter over contact attributes, plus include and exclude lists.

The definition is plain JSON on `Campaign.audience`, so a draft keeps exactly what the
manager built:

    {"match": "all" | "any",
     "rules": [{"field": "first_name" | "attr:<key>" | "email" | "phone" | "tag" | "kind"
                         | "wrote_within_days" | "consent",
                "op": "equals" | "contains" | "before" | "after" | "is_empty" | "not_empty",
                "value": "…"}],
     "include": {"contacts": [ids], "addresses": ["+4917…", "a@example.com"]},
     "exclude": {"contacts": [ids], "addresses": […]}}

`contacts_for(campaign)` turns it into one Contact QuerySet (no rows are loaded): the live
count, the preview and the freeze (campaigns.freeze) all start from it. A campaign with no
rule and no include list has an empty audience — nobody is sent to "everyone" by accident.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, Exists, FloatField, OuterRef, Q, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.consent import KIND_OF_CHANNEL, PURPOSE_OF_CHANNEL, granted
from contacts.identities import looks_like_email, normalise_email, normalise_phone
from contacts.models import AttributeDefinition, Contact, Identity, Tag
from inbox.models import Conversation

BUILTIN_FIELDS = ["first_name", "last_name", "company", "job_title", "gender", "account_id"]
OPERATORS = {
    "equals": gettext_lazy("is"),
    "contains": gettext_lazy("contains"),
    "before": gettext_lazy("is before"),
    "after": gettext_lazy("is after"),
    "is_empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is not empty"),
}
NO_VALUE = {"is_empty", "not_empty"}
NUMBER = r"^ *-?[0-9]+([.][0-9]+)? *$"
MAX_RULES = 20
MAX_LISTED = 20_000


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    operators: tuple[str, ...]
    kind: str = "text"  # text, date, number, choice, days, consent


def fields() -> list[Field]:
    """The fields a rule can test, in the admin's attribute order, then the special ones."""
    text_ops = ("equals", "contains", "is_empty", "not_empty")
    found: list[Field] = []
    for definition in AttributeDefinition.objects.all_cached():
        label = str(definition.display_label)
        if definition.is_builtin:
            if definition.key in BUILTIN_FIELDS:
                found.append(Field(definition.key, label, text_ops))
            elif definition.key in ("email", "phone"):
                found.append(Field(definition.key, label, ("contains", "is_empty", "not_empty")))
            elif definition.key == "tags":
                found.append(Field("tag", _("Tag"), ("equals", "is_empty", "not_empty")))
            continue
        if definition.type in ("date", "number"):
            ops = ("equals", "before", "after", "is_empty", "not_empty")
            found.append(Field(f"attr:{definition.key}", label, ops, definition.type))
        else:
            found.append(Field(f"attr:{definition.key}", label, text_ops))
    found += [
        Field("kind", _("Contact kind"), ("equals",), "choice"),
        Field("wrote_within_days", _("Wrote to this inbox within (days)"), ("equals",), "days"),
        Field("consent", _("Marketing consent on this channel"), ("equals",), "consent"),
    ]
    return found


def empty() -> dict[str, Any]:
    return {"match": "all", "rules": [], "include": {}, "exclude": {}}


def clean(definition: Any) -> dict[str, Any]:
    """The definition as stored, with every rule checked; ValidationError names the first
    bad rule in the manager's language."""
    if not isinstance(definition, dict):
        return empty()
    known = {field.key: field for field in fields()}
    rules = []
    for number, rule in enumerate(definition.get("rules") or [], start=1):
        if not isinstance(rule, dict):
            continue
        field, op = str(rule.get("field", "")), str(rule.get("op", ""))
        value = str(rule.get("value", "")).strip()[:200]
        if not field:
            continue
        spec = known.get(field)
        if spec is None:
            raise ValidationError(_("Rule %(n)s: choose a field.") % {"n": number})
        if op not in spec.operators:
            raise ValidationError(_("Rule %(n)s: choose a condition.") % {"n": number})
        if op not in NO_VALUE and not value:
            raise ValidationError(_("Rule %(n)s: enter a value.") % {"n": number})
        if spec.kind == "number" and op in ("before", "after", "equals") and not _numeric(value):
            raise ValidationError(_("Rule %(n)s: enter a number.") % {"n": number})
        if spec.kind == "days" and not (value.isdigit() and 0 < int(value) <= 3650):
            raise ValidationError(
                _("Rule %(n)s: enter a number of days between 1 and 3650.") % {"n": number}
            )
        rules.append({"field": field, "op": op, "value": value})
    if len(rules) > MAX_RULES:
        raise ValidationError(_("At most %(n)s rules.") % {"n": MAX_RULES})
    return {
        "match": "any" if definition.get("match") == "any" else "all",
        "rules": rules,
        "include": _clean_list(definition.get("include")),
        "exclude": _clean_list(definition.get("exclude")),
    }


def _clean_list(value: Any) -> dict[str, list[Any]]:
    value = value if isinstance(value, dict) else {}
    contacts = [int(pk) for pk in value.get("contacts") or [] if str(pk).isdigit()]
    addresses = [str(a).strip() for a in value.get("addresses") or [] if str(a).strip()]
    return {"contacts": contacts[:MAX_LISTED], "addresses": addresses[:MAX_LISTED]}


def _numeric(value: str) -> bool:
    try:
        float(value.replace(",", "."))
    except ValueError:
        return False
    return True


def parse_addresses(text: str) -> tuple[list[str], list[str]]:
    """Pasted or uploaded numbers and addresses (one per line, or separated by commas or
    semicolons; a CSV's first column) → (normalised, the ones that are neither)."""
    good: list[str] = []
    bad: list[str] = []
    for raw in text.replace(";", "\n").replace(",", "\n").splitlines():
        item = raw.strip().strip('"').strip()
        if not item:
            continue
        try:
            good.append(normalise_email(item) if looks_like_email(item) else normalise_phone(item))
        except ValidationError:
            bad.append(item[:80])
    return list(dict.fromkeys(good)), bad


def _rule_q(rule: dict[str, Any], channel: str, inbox_id: int) -> Q:
    field, op, value = rule["field"], rule["op"], rule["value"]
    if field in BUILTIN_FIELDS:
        if op == "equals":
            return Q(**{f"{field}__iexact": value})
        if op == "contains":
            return Q(**{f"{field}__icontains": value})
        empty_q = Q(**{field: ""})
        return empty_q if op == "is_empty" else ~empty_q
    if field in ("email", "phone"):
        kinds = ["email"] if field == "email" else ["phone", "whatsapp"]
        owned = Identity.objects.filter(contact=OuterRef("pk"), kind__in=kinds)
        if op == "contains":
            owned = owned.filter(normalised__icontains=value.lower().replace(" ", ""))
            return Q(Exists(owned))
        return ~Q(Exists(owned)) if op == "is_empty" else Q(Exists(owned))
    if field == "tag":
        tagged = Tag.contacts.through.objects.filter(contact_id=OuterRef("pk"))
        if op == "equals":
            return Q(Exists(tagged.filter(tag__name__iexact=value)))
        return ~Q(Exists(tagged)) if op == "is_empty" else Q(Exists(tagged))
    if field == "kind":
        return Q(kind=value)
    if field == "wrote_within_days":
        since = timezone.now() - timedelta(days=int(value))
        wrote = Conversation.objects.filter(
            contact=OuterRef("pk"), inbox_id=inbox_id, last_message_at__gte=since
        )
        return Q(Exists(wrote))
    if field == "consent":
        purpose = PURPOSE_OF_CHANNEL.get(channel)
        identities = Identity.objects.filter(
            contact=OuterRef("pk"), kind=KIND_OF_CHANNEL.get(channel, "phone")
        )
        if purpose is None:
            return Q()
        with_consent = Q(Exists(identities.filter(granted(OuterRef("pk"), purpose))))
        return with_consent if value == "granted" else ~with_consent
    if field.startswith("attr:"):
        key = field.removeprefix("attr:")
        path = KT(f"attributes__{key}")
        if op in ("is_empty", "not_empty"):
            missing = Q(**{f"attributes__{key}__isnull": True}) | Q(**{f"attributes__{key}": ""})
            return missing if op == "is_empty" else ~missing
        if op == "equals":
            return Q(**{f"attributes__{key}__iexact": value})
        if op == "contains":
            return Q(**{f"attributes__{key}__icontains": value})
        # Dates (ISO) and numbers compare as text of the same shape; a lookup expression on
        # the value as text (KT), not on the JSON.
        compare = LessThan if op == "before" else GreaterThan
        if _is_number(key):  # 10 is after 5 as a number, not as text
            # Cast only what looks like a number: PostgreSQL refuses to cast "many".
            as_number = Case(
                When(**{f"attributes__{key}__regex": NUMBER}, then=Cast(path, FloatField())),
                default=Value(None),
                output_field=FloatField(),
            )
            return Q(compare(as_number, float(value.replace(",", "."))))
        return Q(compare(path, value))
    return Q(pk__in=[])


def _is_number(key: str) -> bool:
    return any(
        d.key == key and d.type == "number" for d in AttributeDefinition.objects.all_cached()
    )


def contacts_for(campaign: Any, definition: dict[str, Any] | None = None) -> Any:
    """The audience as one Contact QuerySet: the rules' matches plus the include list,
    before skips. Contacts merged into another or anonymised never count."""
    definition = clean(campaign.audience if definition is None else definition)
    base = Contact.objects.active().filter(anonymised_at__isnull=True)
    rules = definition["rules"]
    included = definition["include"]
    selected = Q(pk__in=[])
    if rules:
        combined = Q()
        for rule in rules:
            q = _rule_q(rule, campaign.channel, campaign.inbox_id)
            combined = (combined | q) if definition["match"] == "any" and combined else combined & q
        selected |= combined
    if included["contacts"]:
        selected |= Q(pk__in=included["contacts"])
    if included["addresses"]:
        owners = Identity.objects.filter(normalised__in=included["addresses"]).values("contact_id")
        selected |= Q(pk__in=owners)
    return base.filter(selected)


def excluded_contacts(definition: dict[str, Any]) -> tuple[list[int], list[str]]:
    excluded = clean(definition)["exclude"]
    return excluded["contacts"], excluded["addresses"]
