"""Merge preview, merge and undo."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from contacts.access import access_contact, access_merge_event
from contacts.merging import merge_contacts, merge_preview, survivor_for, undo_merge
from lib.errors import ActionRefused


def merge(request: AuthenticatedRequest, contact_id: int, other_id: int) -> HttpResponse:
    """Preview (GET) and perform (POST) folding `other_id` into `contact_id`.

    Where the kinds decide who survives, the URL is turned round if needed; where the user
    decides (two identified or two curated contacts), the page offers to swap.
    """
    survivor = access_contact(request.user, contact_id, right="merge")
    absorbed = access_contact(request.user, other_id, right="merge")
    try:
        forced = survivor_for(survivor, absorbed)
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("contacts:detail", contact_id=survivor.pk)
    if forced and forced[0].pk != survivor.pk:
        return redirect("contacts:merge", contact_id=forced[0].pk, other_id=forced[1].pk)

    rows = merge_preview(survivor, absorbed)
    if request.method == "POST":
        choices = {row.key: request.POST.get(f"keep_{row.key}", "") for row in rows}
        try:
            event = merge_contacts(
                survivor=survivor, absorbed=absorbed, choices=choices, actor=request.user
            )
        except ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("%(absorbed)s was merged into %(survivor)s. You can undo it from the summary.")
                % {"absorbed": event.data["absorbed_name"], "survivor": survivor},
            )
            return redirect("contacts:detail", contact_id=survivor.pk)
    context = {
        "survivor": survivor,
        "absorbed": absorbed,
        "rows": rows,
        "user_chooses_survivor": forced is None,
        "survivor_identities": list(survivor.identities.all()),
        "absorbed_identities": list(absorbed.identities.all()),
        "absorbed_note_count": absorbed.notes.count(),
    }
    return render(request, "contacts/merge.html", context)


@require_POST
def merge_undo(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = access_merge_event(request.user, event_id)
    try:
        restored = undo_merge(event, actor=request.user)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("The merge is undone; %(name)s is a contact of its own again.") % {"name": restored},
        )
    return redirect("contacts:detail", contact_id=event.contact_id)
