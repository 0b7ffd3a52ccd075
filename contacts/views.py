"""Contacts list, the contact page with its panel, profile editing and notes."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from contacts import actions
from contacts.access import access_contact, access_contact_or_merged, access_note, require
from contacts.forms import ContactFilterForm, NewContactForm, NoteForm, profile_form
from contacts.identities import IdentityKind
from contacts.models import MIN_SEARCH_LENGTH, Contact, ContactKind, Identity, Tag
from contacts.panel import editable_definitions, panel_context
from lib.htmx import is_partial_request, render_page
from lib.pagination import InvalidCursor, paginate_keys_first
from lib.ratelimit import limit_searches
from lib.replica import from_replica

CONTACTS_PER_PAGE = 50


@limit_searches("q")
def index(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, "view")
    form = ContactFilterForm(request.GET or None)
    form.is_valid()
    filters = form.cleaned_data if form.is_bound else {}
    query = (filters.get("q") or "").strip()
    contacts = Contact.objects.visible_to(request.user)
    too_short = 0 < len(query) < MIN_SEARCH_LENGTH
    if query and not too_short:
        contacts = contacts.search(query)
    if filters.get("kind"):
        contacts = contacts.filter(kind=filters["kind"])
    if filters.get("tag"):
        contacts = contacts.filter(tags__name__iexact=filters["tag"])
    if filters.get("blocked"):
        contacts = contacts.filter(is_blocked=filters["blocked"] == "yes")
    contacts = contacts.prefetch_related(
        Prefetch("identities", queryset=Identity.objects.order_by("kind", "id"))
    )
    try:
        with from_replica():  # the list and its search: a read replica takes them when set
            page = paginate_keys_first(
                contacts,
                ordering=("-last_activity_at", "-id"),
                cursor=request.GET.get("after"),
                per_page=CONTACTS_PER_PAGE,
            )
    except InvalidCursor as exc:
        raise Http404 from exc
    context = {
        "form": form,
        "page": page,
        "rows": list_rows(page.items),
        "query": query,
        "too_short": too_short,
        "min_length": MIN_SEARCH_LENGTH,
        "filtered": bool(
            query or filters.get("kind") or filters.get("tag") or filters.get("blocked")
        ),
        "tags": Tag.objects.all()[:200],
    }
    fragment = "contact-rows" if request.GET.get("after") else "contact-results"
    return render_page(request, "contacts/index.html", context, fragment=fragment)


def list_rows(contacts: list[Contact]) -> list[Contact]:
    """Set what a row of the list shows, worked out once per page rather than in the template
    for each row: its `url`, the first two addresses (`chips`), how many more there are, its
    kind's label and the moment of its last activity."""
    url_pattern = reverse("contacts:detail", args=[0]).replace("/0/", "/{}/")
    kinds = {value: str(label) for value, label in ContactKind.choices}
    for contact in contacts:
        identities = list(contact.identities.all())
        row: Any = contact
        row.url = url_pattern.format(contact.pk)
        row.chips = [(identity.kind, identity.display_value) for identity in identities[:2]]
        row.more_identities = max(len(identities) - 2, 0)
        row.kind_label = kinds.get(contact.kind, contact.kind)
        moment = timezone.localtime(contact.last_activity_at)
        row.activity_iso = moment.isoformat()
        row.activity_day = date_format(moment, "SHORT_DATE_FORMAT")
    return contacts


def create(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, "add")
    form = NewContactForm(request.POST or None, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identities = [
            (kind, data[field])
            for field, kind in (("email", IdentityKind.EMAIL), ("phone", IdentityKind.PHONE))
            if data.get(field)
        ]
        try:
            contact = actions.create_contact(
                actor=request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                company=data["company"],
                identities=identities,
            )
        except actions.IdentityTaken as taken:
            field = "email" if taken.identity.kind == IdentityKind.EMAIL else "phone"
            form.add_error(field, taken.message)
            form.taken = taken.identity  # type: ignore[attr-defined]
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, _("%(name)s is created.") % {"name": contact})
            return redirect("contacts:detail", contact_id=contact.pk)
    status = 422 if form.errors else 200
    return render(request, "contacts/new.html", {"form": form}, status=status)


def detail(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact_or_merged(request.user, contact_id)
    if contact.merged_into_id:
        messages.info(request, _("This contact was merged into another one."))
        return redirect("contacts:detail", contact_id=contact.merged_into_id)
    contact = access_contact(request.user, contact_id)
    tab = request.GET.get("tab", "summary")
    try:
        context = panel_context(
            request.user,
            contact,
            tab,
            notes_after=request.GET.get("notes_after"),
            # The panel inside the agent workspace switches tabs without changing the URL.
            embedded=request.GET.get("embedded") == "1",
        )
    except InvalidCursor as exc:
        raise Http404 from exc
    return render_page(request, "contacts/detail.html", context, fragment="contact-panel")


def profile_edit(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id, right="edit")
    definitions = editable_definitions(request.user)
    form = profile_form(definitions, contact, request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {d.key: form.cleaned_data.get(d.key, "") for d in definitions}
        try:
            changed = actions.update_profile(contact, values=values, actor=request.user)
        except ValidationError as invalid:
            for key, errors in invalid.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(
                request, _("The profile is saved.") if changed else _("Nothing was changed.")
            )
            return _back_to_panel(request, contact, "profile")
    status = 422 if form.errors else 200
    context = {**panel_context(request.user, contact, "profile"), "form": form, "editing": True}
    return render_page(
        request, "contacts/detail.html", context, fragment="contact-panel", status=status
    )


@require_POST
def note_add(request: AuthenticatedRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        actions.add_note(contact, body=form.cleaned_data["body"], author=request.user)
        messages.success(request, _("Note added."))
    else:
        messages.error(request, _("Write something first."))
    return _back_to_panel(request, contact, "summary")


def note_edit(request: AuthenticatedRequest, note_id: int) -> HttpResponse:
    note = access_note(request.user, note_id)
    form = NoteForm(request.POST or None, initial={"body": note.body})
    if request.method == "POST" and form.is_valid():
        try:
            actions.edit_note(note, body=form.cleaned_data["body"], actor=request.user)
        except ValidationError as invalid:
            form.add_error("body", invalid.message_dict.get("body", invalid.messages))
        else:
            messages.success(request, _("Note saved. The previous text is kept."))
            return _back_to_panel(request, note.contact, "summary")
    elif request.method == "GET" and (
        note.author_id != request.user.pk
        or not panel_context(request.user, note.contact, "summary")["notes_editable"]
    ):
        raise Http404
    status = 422 if form.errors else 200
    return render(request, "contacts/note_edit.html", {"note": note, "form": form}, status=status)


@require_POST
def note_delete(request: AuthenticatedRequest, note_id: int) -> HttpResponse:
    note = access_note(request.user, note_id)
    contact = note.contact
    actions.delete_note(note, actor=request.user)
    messages.success(request, _("Note deleted."))
    return _back_to_panel(request, contact, "summary")


def _back_to_panel(request: AuthenticatedRequest, contact: Contact, tab: str) -> HttpResponse:
    """After a change: the updated panel for htmx, a redirect to the tab otherwise."""
    if is_partial_request(request):
        context = panel_context(request.user, contact, tab)
        return render(request, "contacts/detail.html#contact-panel", context)
    return redirect(reverse("contacts:detail", args=[contact.pk]) + f"?tab={tab}")
