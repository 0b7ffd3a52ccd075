"""Account and contact variables in inbox messages (seed 003): `{company_name}` or, with a
default for a contact who has no value, `{contact_first_name|there}`.

Variables are replaced on the server when a reply is sent, so what is stored is exactly what
the customer receives. A name that is not a variable stays as the agent typed it.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

VARIABLE = re.compile(r"\{([a-z_]+)(?:\|([^{}\n]*))?\}")


@dataclass(frozen=True)
class Variable:
    name: str
    label: Any
    group: Any

    @property
    def token(self) -> str:
        return "{" + self.name + "}"


ACCOUNT = _("Account")
CONTACT = _("Contact")

VARIABLES = [
    Variable("company_name", _("Company name"), ACCOUNT),
    Variable("company_address", _("Company address"), ACCOUNT),
    Variable("company_email", _("Company e-mail"), ACCOUNT),
    Variable("company_phone", _("Company phone"), ACCOUNT),
    Variable("contact_first_name", _("First name"), CONTACT),
    Variable("contact_last_name", _("Last name"), CONTACT),
    Variable("contact_company", _("Company"), CONTACT),
]


def variable_values(organisation: Any, contact: Any) -> dict[str, str]:
    """Every variable's value for this organisation and contact ("" when unknown)."""
    values = dict(organisation.account_variables()) if organisation is not None else {}
    values.update(
        {
            "contact_first_name": getattr(contact, "first_name", "") or "",
            "contact_last_name": getattr(contact, "last_name", "") or "",
            "contact_company": getattr(contact, "company", "") or "",
        }
    )
    return {v.name: values.get(v.name) or "" for v in VARIABLES}


def render_variables(text: str, organisation: Any, contact: Any) -> str:
    """`text` with each known variable replaced by its value, or by its default when the
    value is empty (`{contact_first_name|there}`). Unknown names are left untouched."""
    values = variable_values(organisation, contact)

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name not in values:
            return match.group(0)
        return values[name] or (default or "").strip()

    return VARIABLE.sub(replace, text)
