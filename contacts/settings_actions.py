"""Changes admins make to the contact attributes: add, edit, remove, order, show or hide.

Definitions are settings, not customer data, so these actions write no event row. The order
is kept as positions 0..n-1; every action that changes it locks all definitions first, so two
admins reordering at once are serialised instead of interleaving their positions.
"""

from typing import Literal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contacts.models import AttributeDefinition, AttributeOwner
from lib.errors import ActionRefused


def _locked_in_order() -> list[AttributeDefinition]:
    return list(AttributeDefinition.objects.select_for_update().order_by("position", "id"))


def _write_positions(definitions: list[AttributeDefinition]) -> None:
    """Number `definitions` 0..n-1 in the given order, writing only the rows that moved."""
    moved = []
    for position, definition in enumerate(definitions):
        if definition.position != position:
            definition.position = position
            moved.append(definition)
    AttributeDefinition.objects.bulk_update(moved, ["position"])
    if moved:
        AttributeDefinition.objects.changed()


@transaction.atomic
def add_attribute(
    *,
    label: str,
    key: str,
    type: str,
    choices: list[str],
    visible: bool,
    agent_editable: bool,
    read_only: bool,
    default_value: str = "",
    owner: str = AttributeOwner.AGENTS,
) -> AttributeDefinition:
    """Add a custom attribute at the end of the list. The form has checked the key; a key
    taken meanwhile by another admin raises ActionRefused and nothing is added."""
    definitions = _locked_in_order()
    _write_positions(definitions)
    try:
        with transaction.atomic():
            return AttributeDefinition.objects.create(
                key=key,
                label=label,
                type=type,
                choices=choices,
                visible=visible,
                agent_editable=agent_editable,
                read_only=read_only,
                default_value=default_value,
                owner=owner or AttributeOwner.AGENTS,
                position=len(definitions),
            )
    except IntegrityError:
        raise ActionRefused(
            _("The key “%(key)s” was taken a moment ago. Choose another.") % {"key": key}
        ) from None


@transaction.atomic
def update_attribute(
    definition: AttributeDefinition,
    *,
    visible: bool,
    agent_editable: bool,
    label: str | None = None,
    type: str | None = None,
    choices: list[str] | None = None,
    read_only: bool | None = None,
    default_value: str | None = None,
    owner: str | None = None,
) -> None:
    """Change an attribute's settings. The key never changes (contacts' values are filed
    under it). A built-in attribute takes only `visible`, `agent_editable`, `owner` and
    `default_value`; passing anything else for one raises ActionRefused."""
    details = {"label": label, "type": type, "choices": choices, "read_only": read_only}
    given = {name: value for name, value in details.items() if value is not None}
    if definition.is_builtin and given:
        raise ActionRefused(_("A built-in attribute keeps its label and type."))
    if default_value is not None:
        given["default_value"] = default_value
    if owner:
        given["owner"] = owner
    for name, value in {"visible": visible, "agent_editable": agent_editable, **given}.items():
        setattr(definition, name, value)
    definition.save(update_fields=["visible", "agent_editable", *given])


@transaction.atomic
def set_attribute_visibility(definition: AttributeDefinition, *, visible: bool) -> None:
    """Show the attribute to agents in the contact panel, or hide it."""
    definition.visible = visible
    definition.save(update_fields=["visible"])


@transaction.atomic
def remove_attribute(definition: AttributeDefinition) -> None:
    """Remove a custom attribute's definition. Contacts keep their stored values under its
    key (adding the key again brings them back). Built-in attributes cannot be removed."""
    if definition.is_builtin:
        raise ActionRefused(
            _("“%(label)s” is built in and cannot be removed; hide it instead.")
            % {"label": definition.display_label}
        )
    definitions = [d for d in _locked_in_order() if d.pk != definition.pk]
    definition.delete()
    _write_positions(definitions)


@transaction.atomic
def reorder_attributes(*, ids: list[int]) -> None:
    """Put the attributes in the order of `ids`, which must name every attribute exactly
    once; otherwise (someone added or removed one meanwhile, or the list was forged) raise
    ActionRefused and change nothing."""
    definitions = {d.pk: d for d in _locked_in_order()}
    if len(ids) != len(definitions) or set(ids) != set(definitions):
        raise ActionRefused(
            _("The order was not saved: the list changed meanwhile. Here is the current order.")
        )
    _write_positions([definitions[pk] for pk in ids])


@transaction.atomic
def move_attribute(definition: AttributeDefinition, *, direction: Literal["up", "down"]) -> bool:
    """Swap the attribute with its neighbour above or below. Returns False, changing
    nothing, when it is already first (up) or last (down)."""
    definitions = _locked_in_order()
    index = next((i for i, d in enumerate(definitions) if d.pk == definition.pk), None)
    if index is None:  # removed by another admin a moment ago
        return False
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(definitions):
        return False
    definitions[index], definitions[other] = definitions[other], definitions[index]
    _write_positions(definitions)
    return True
