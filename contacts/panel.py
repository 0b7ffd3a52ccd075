"""What the contact panel shows: one function builds the context for any tab, so the
contact page and (later) the agent workspace render the same partial with the same,
fixed number of queries."""

from collections.abc import Callable
from typing import Any

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from contacts.attributes import is_profile_editable, profile
from contacts.consent_panel import consent_context
from contacts.forms import AGENT_IDENTITY_KINDS, IdentityForm
from contacts.identities import PHONE_KINDS
from contacts.merging import undo_blocker
from contacts.models import AttributeDefinition, Contact, ContactEvent, Note
from contacts.provenance import attribute_history
from lib.pagination import paginate

TABS = [
    ("summary", _("Summary")),
    ("profile", _("Profile")),
    ("cases", _("Cases")),
    ("messages", _("Messages")),
    ("identities", _("Identities")),
    ("more", _("More")),
]
TAB_NAMES = {name for name, _label in TABS}

# What later apps add to the panel is a registry (like contacts.erasure and contacts.exports):
# the app calls register_panel_tab / register_panel_action from its AppConfig.ready(), so the
# contacts app never imports the inbox.

# A tab whose content belongs to a later app (Cases and Messages come from the inbox): the
# provider builds the tab's context, the template renders it.
TabProvider = Callable[[Any, Contact], dict[str, Any]]
PANEL_TABS: dict[str, tuple[TabProvider, str]] = {}


def register_panel_tab(
    name: str, provider: TabProvider, template: str, *, label: Any = None
) -> None:
    """Fill the panel tab `name` with `provider(user, contact)` rendered by `template`. A tab
    not in TABS needs its `label`: it is added before "More". Call from AppConfig.ready();
    registering again replaces the tab's filler."""
    if name not in TAB_NAMES:
        if label is None:
            raise ValueError(f"the panel tab {name!r} needs a label")
        TABS.insert(len(TABS) - 1, (name, label))
        TAB_NAMES.add(name)
    PANEL_TABS[name] = (provider, template)


# A button in the panel's header that belongs to a later app ("Send message" comes from the
# inbox): the provider returns the context its template needs, or None when the user may not
# use the action. A provider may name a `slot`: the DOM id of an empty element rendered under
# the buttons, where the action opens its form.
ActionProvider = Callable[[Any, Contact], dict[str, Any] | None]
PANEL_ACTIONS: dict[str, tuple[ActionProvider, str]] = {}


def register_panel_action(name: str, provider: ActionProvider, template: str) -> None:
    """Show the action `name`, rendered by `template`, on every contact panel where
    `provider(user, contact)` allows. Call from AppConfig.ready(); registering again replaces
    the action, and actions appear in the order they were first registered."""
    PANEL_ACTIONS[name] = (provider, template)


def panel_actions(user: Any, contact: Contact) -> list[dict[str, Any]]:
    actions = []
    for name, (provider, template) in PANEL_ACTIONS.items():
        context = provider(user, contact)
        if context is not None:
            actions.append({"name": name, "template": template, **context})
    return actions


def phone_numbers(contact: Contact) -> list[Any]:
    """The contact's numbers that can be called (tel: links), each once, from the prefetched
    identities."""
    numbers: dict[str, Any] = {}
    for identity in contact.identities.all():
        if identity.kind in PHONE_KINDS:
            numbers.setdefault(identity.normalised, identity)
    return list(numbers.values())


NOTES_PER_PAGE = 20
EVENTS_SHOWN = 30


def visible_definitions() -> list[AttributeDefinition]:
    """The attributes agents see, in the admin's order (cached: every panel reads them)."""
    return [d for d in AttributeDefinition.objects.all_cached() if d.visible]


def editable_definitions(user: Any) -> list[AttributeDefinition]:
    """Attributes the user may edit in the Profile tab, in the admin's order."""
    definitions = (
        AttributeDefinition.objects.all_cached() if user.is_admin else visible_definitions()
    )
    return [
        d
        for d in definitions
        if is_profile_editable(d) and (user.is_admin or (d.visible and d.agent_editable))
    ]


def filled_attributes(contact: Contact, definitions: list[AttributeDefinition]) -> list[Any]:
    """The attributes of `definitions` that have a value, in their order (no query: the
    identities and tags are prefetched)."""
    return [row for row in profile(contact, definitions) if row.has_value]


def panel_context(user: Any, contact: Contact, tab: str, **extra: Any) -> dict[str, Any]:
    tab = tab if tab in TAB_NAMES else "summary"
    prefetch_related_objects([contact], "identities", "tags")
    definitions = visible_definitions()
    # The header repeats job title and company only where admins let agents see them.
    shown_keys = {d.key for d in definitions}
    context: dict[str, Any] = {
        "contact": contact,
        "tab": tab,
        "tabs": TABS,
        "header_job_title": contact.job_title if "job_title" in shown_keys else "",
        "header_company": contact.company if "company" in shown_keys else "",
        "panel_actions": panel_actions(user, contact),
        "phone_numbers": phone_numbers(contact),
        **extra,
    }
    if tab == "summary":
        # The filled attributes lead the Summary, so agents need not open Profile each time.
        context["attributes"] = filled_attributes(contact, definitions)
        context.update(summary_context(user, contact, cursor=extra.get("notes_after")))
    elif tab == "identities":
        context.setdefault("identity_form", IdentityForm())
        context["identity_kinds"] = AGENT_IDENTITY_KINDS
        # Two queries: the latest opt-outs and the consent history of the addresses.
        context.update(consent_context(contact, **extra))
    elif tab == "profile":
        context["attributes"] = filled_attributes(contact, definitions)
        context["hidden_count"] = len(definitions) - len(context["attributes"])
        # One query: who changed which attribute when (contacts.provenance).
        labels = {d.key: d.display_label for d in AttributeDefinition.objects.all_cached()}
        context["history"] = [
            {**entry, "label": labels.get(entry["key"], entry["key"])}
            for entry in attribute_history(contact)
        ]
    elif tab in PANEL_TABS:
        provider, template = PANEL_TABS[tab]
        context.update(provider(user, contact))
        context["tab_template"] = template
    return context


def summary_context(user: Any, contact: Contact, *, cursor: str | None = None) -> dict[str, Any]:
    notes = paginate(
        Note.objects.filter(contact=contact).select_related("author"),
        ordering=("-created_at", "-id"),
        cursor=cursor,
        per_page=NOTES_PER_PAGE,
    )
    events = list(
        ContactEvent.objects.filter(contact=contact)
        .exclude(kind__in=[ContactEvent.Kind.NOTE_ADDED])
        .select_related("actor")[:EVENTS_SHOWN]
    )
    latest_merge = next((e for e in events if e.kind == ContactEvent.Kind.MERGED), None)
    undoable = None
    if latest_merge and user.has_perm("contacts.merge_contact"):
        latest_merge.contact = contact
        if undo_blocker(latest_merge) is None:
            undoable = latest_merge
    return {
        "notes": notes,
        "events": events,
        "undoable_merge": undoable,
        "notes_editable": Organisation.load().authors_may_edit_notes,
    }
