"""The Identities tab (add, claim, remove, find duplicates) and the matching panel."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from contacts import actions, sharing
from contacts.access import access_contact, access_identity, require
from contacts.forms import IdentityForm
from contacts.matching import match_contacts
from contacts.models import MIN_SEARCH_LENGTH, Contact, Identity
from contacts.panel import panel_context
from contacts.views import _back_to_panel
from lib.forms import chosen_id, search_query
from lib.htmx import render_page
from lib.ratelimit import limit_searches

DUPLICATE_RESULTS = 10
CANDIDATES_SHOWN = 50


@limit_searches("q")
def identities(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    """The Identities tab: list, add (with claim or share when taken) and search for
    duplicates."""
    contact = access_contact(request.user, contact_id)
    form = IdentityForm(request.POST or None)
    taken = None
    holders: list[Identity] = []
    status = 200
    if request.method == "POST":
        require(request.user, "edit")
        if form.is_valid():
            try:
                identity = actions.add_identity(
                    contact,
                    kind=form.cleaned_data["kind"],
                    value=form.cleaned_data["value"],
                    actor=request.user,
                )
            except actions.IdentityTaken as exc:
                taken, holders = exc.identity, exc.holders
                status = 409
            except ValidationError as invalid:
                form.add_error("value", invalid)
                status = 422
            else:
                messages.success(
                    request, _("%(identity)s added.") % {"identity": identity.display_value}
                )
                return _back_to_panel(request, contact, "identities")
        else:
            status = 422
    context = panel_context(
        request.user,
        contact,
        "identities",
        identity_form=form,
        taken=taken,
        taken_holders=holders,
        # Held by this contact already: nothing to claim or share.
        taken_here=any(row.contact_id == contact.pk for row in holders),
        **duplicate_search(request, contact),
    )
    return render_page(
        request, "contacts/detail.html", context, fragment="contact-panel", status=status
    )


def duplicate_search(request: AuthenticatedRequest, contact: Contact) -> dict[str, object]:
    query = search_query(request.GET)
    if len(query) < MIN_SEARCH_LENGTH:
        return {"duplicate_query": query, "duplicates": None}
    found = (
        Contact.objects.visible_to(request.user)
        .search(query)
        .exclude(pk=contact.pk)
        .prefetch_related("identities")
        .order_by("-last_activity_at", "-id")[:DUPLICATE_RESULTS]
    )
    return {"duplicate_query": query, "duplicates": list(found)}


@require_POST
def identity_claim(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id, right="edit")
    identity = access_identity(request.user, chosen_id(request.POST, "identity") or 0)
    try:
        previous = actions.claim_identity(contact, identity=identity, actor=request.user)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(identity)s now belongs to %(name)s; it was taken from %(previous)s.")
            % {"identity": identity.display_value, "name": contact, "previous": previous},
        )
    return _back_to_panel(request, contact, "identities")


@require_POST
def identity_share(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    """ "Share it": the contact gets another contact's address too; both keep it."""
    contact = access_contact(request.user, contact_id, right="edit")
    identity = access_identity(request.user, chosen_id(request.POST, "identity") or 0)
    try:
        sharing.share_identity(contact, identity=identity, actor=request.user)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(identity)s is shared by %(name)s and %(other)s now.")
            % {"identity": identity.display_value, "name": contact, "other": identity.contact},
        )
    return _back_to_panel(request, contact, "identities")


@require_POST
def identity_remove(request: AuthenticatedRequest, identity_id: int) -> HttpResponse:
    identity = access_identity(request.user, identity_id)
    contact = identity.contact
    actions.remove_identity(identity, actor=request.user)
    messages.success(request, _("%(identity)s removed.") % {"identity": identity.display_value})
    return _back_to_panel(request, contact, "identities")


@limit_searches("address", "link_q")
def match(request: AuthenticatedRequest) -> HttpResponse:
    """The three matching states for an address: one contact, several, or none."""
    require(request.user, "view")
    channel = request.GET.get("channel", "sms")
    address = request.GET.get("address", "").strip()
    context: dict[str, object] = {"channel": channel, "address": address}
    if address:
        try:
            result = match_contacts(channel, address)
        except ValidationError as invalid:
            context["error"] = " ".join(invalid.messages)
        else:
            context["match"] = result
            selected = _selected(request, result.contacts)
            if result.state == "one" or selected:
                chosen = selected or result.contacts[0]
                context.update(
                    panel_context(request.user, chosen, request.GET.get("tab", "profile"))
                )
                context["chosen"] = chosen
            elif result.state == "none":
                context.update(_link_candidates(request, channel))
            elif result.state == "several":
                filter_text = request.GET.get("filter", "").strip().lower()
                context["filter"] = filter_text
                candidates = [
                    c for c in result.contacts if not filter_text or filter_text in c.search_text
                ][:CANDIDATES_SHOWN]
                prefetch_related_objects(candidates, "identities")
                context["candidates"] = candidates
    return render_page(request, "contacts/match.html", context, fragment="match-panel")


def _link_candidates(request: AuthenticatedRequest, channel: str) -> dict[str, object]:
    """For "Link existing": contacts found by name, to give the unknown address to."""
    query = search_query(request.GET, "link_q")
    found = None
    if len(query) >= MIN_SEARCH_LENGTH:
        found = list(
            Contact.objects.visible_to(request.user)
            .search(query)
            .order_by("-last_activity_at", "-id")[:DUPLICATE_RESULTS]
        )
    return {
        "link_query": query,
        "link_candidates": found,
        "identity_kind": identity_kind_for(channel),
    }


def identity_kind_for(channel: str) -> str:
    return {"email": "email", "whatsapp": "whatsapp"}.get(channel, "phone")


def _selected(request: AuthenticatedRequest, candidates: list[Contact]) -> Contact | None:
    wanted = request.GET.get("selected")
    return next((c for c in candidates if str(c.pk) == wanted), None)


@require_POST
def match_create(request: AuthenticatedRequest) -> HttpResponse:
    """ "Create new contact" from the no-match state: a curated contact with the address."""
    require(request.user, "add")
    channel = request.POST.get("channel", "sms")
    address = request.POST.get("address", "")
    try:
        contact = actions.create_contact(
            actor=request.user, identities=[(identity_kind_for(channel), address)]
        )
    except (ValidationError, actions.ActionRefused) as problem:
        text = (
            problem.message
            if isinstance(problem, actions.ActionRefused)
            else " ".join(problem.messages)
        )
        messages.error(request, text)
        query = urlencode({"channel": channel, "address": address})
        return redirect(f"{reverse('contacts:match')}?{query}")
    messages.success(request, _("New contact created for %(address)s.") % {"address": address})
    return redirect("contacts:profile_edit", contact_id=contact.pk)
