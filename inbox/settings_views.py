"""Settings → Inboxes: managers of an inbox (and admins, who manage every inbox) set its name
and mode, its members and their roles, the members' routing capacity, and its channels (the
numbers and addresses customers write to; the provider credentials come from the environment
and are only described here, never stored or shown).

Every change is a plain POST that redirects back to the inbox; an htmx request gets the
members fragment instead, with the toast appended by the middleware. Every URL that names an
inbox loads it with access_inbox(manage=True): 404 for an inbox the user is not in (whoever
they are, as everywhere), 403 for a member who does not manage it. The list is for managers
and admins only (403).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import require_admin
from accounts.http import AuthenticatedRequest
from contacts.identities import format_phone
from inbox.access import access_inbox, inbox_role, managed_inboxes, manages_any_inbox
from inbox.actions import settings as actions
from inbox.actions.assignment import set_capacity
from inbox.models import AgentCapacity, Channel, Inbox, InboxChannel, InboxRole, Membership
from inbox.settings_forms import AddMemberForm, CapacityForm, ChannelForm, InboxForm, RoleForm
from inbox.settings_links import inbox_settings_links
from lib.errors import ActionRefused, refusals_answered_by
from lib.htmx import is_partial_request, render_page

DETAIL_TEMPLATE = "inbox/settings/inbox_detail.html"


def require_inbox_manager(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let through managers of at least one inbox and admins; everyone else gets 403."""

    @wraps(view)
    def wrapper(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not manages_any_inbox(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_inbox_manager
def inboxes(request: AuthenticatedRequest) -> HttpResponse:
    # Counting over a subquery of ids: annotating managed_inboxes() itself would count only
    # the rows its own membership join lets through.
    rows = (
        Inbox.objects.filter(pk__in=managed_inboxes(request.user).values("pk"))
        .annotate(
            member_count=Count("memberships", distinct=True),
            manager_count=Count(
                "memberships", filter=Q(memberships__role=InboxRole.MANAGER), distinct=True
            ),
            channel_count=Count("channels", distinct=True),
        )
        .order_by("name", "id")
    )
    return render(request, "inbox/settings/inboxes.html", {"inboxes": rows})


@require_admin
def inbox_add(request: AuthenticatedRequest) -> HttpResponse:
    form = InboxForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        inbox = actions.create_inbox(actor=request.user, **form.cleaned_data)
        messages.success(
            request, _("%(inbox)s is created. Now add its members.") % {"inbox": inbox}
        )
        return redirect("inbox_settings:inbox_detail", inbox_id=inbox.pk)
    status = 422 if form.errors else 200
    return render(request, "inbox/settings/inbox_add.html", {"form": form}, status=status)


def inbox_detail(request: AuthenticatedRequest, inbox_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    form = InboxForm(request.POST or None, instance=inbox)
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_inbox(inbox, actor=request.user, **form.cleaned_data)
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            if "mode" not in changed:
                message = _("%(inbox)s is saved.")
            elif inbox.is_assignment_mode:
                message = _(
                    "%(inbox)s is now in assignment mode: members assign a conversation to "
                    "themselves before answering."
                )
            else:
                message = _("%(inbox)s is now an open inbox: every member may answer.")
            messages.success(request, message % {"inbox": inbox})
            return redirect("inbox_settings:inbox_detail", inbox_id=inbox.pk)
    status = 422 if form.errors else 200
    context = _detail_context(request, inbox, form=form)
    return render(request, DETAIL_TEMPLATE, context, status=status)


# The member actions may refuse (the last manager, someone added a moment ago, …):
# lib.errors shows the reason with the members section as it is now.
def refusals(view: Any) -> Any:
    # _members_again is defined further down, with the other helpers.
    return refusals_answered_by(lambda *args, **kwargs: _members_again(*args, **kwargs))(view)


@require_POST
@refusals
def member_add(request: AuthenticatedRequest, inbox_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    form = AddMemberForm(request.POST, inbox=inbox)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back_to_members(request, inbox, status=422)
    user, role = form.cleaned_data["user"], form.cleaned_data["role"]
    actions.add_member(inbox, user=user, role=role, actor=request.user)
    if role == InboxRole.MANAGER:
        message = _("%(name)s is now a manager of %(inbox)s.")
    else:
        message = _("%(name)s is now a member of %(inbox)s.")
    messages.success(request, message % {"name": user, "inbox": inbox})
    return _back_to_members(request, inbox)


@require_POST
@refusals
def member_role(request: AuthenticatedRequest, inbox_id: int, user_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    membership = _membership(inbox, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back_to_members(request, inbox, status=422)
    role = form.cleaned_data["role"]
    changed = actions.change_role(inbox, user=membership.user, role=role, actor=request.user)
    if changed and role == InboxRole.MANAGER:
        messages.success(request, _("%(name)s is now a manager.") % {"name": membership.user})
    elif changed:
        messages.success(request, _("%(name)s is now a team member.") % {"name": membership.user})
    return _back_to_members(request, inbox)


@require_POST
@refusals
def member_capacity(request: AuthenticatedRequest, inbox_id: int, user_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    membership = _membership(inbox, user_id)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back_to_members(request, inbox, status=422)
    limit = form.cleaned_data["limit"]
    set_capacity(agent=membership.user, limit=limit, actor=request.user)
    messages.success(
        request,
        _("Routing mode now hands %(name)s up to %(limit)s open conversations.")
        % {"name": membership.user, "limit": limit},
    )
    return _back_to_members(request, inbox)


@require_POST
@refusals
def member_remove(request: AuthenticatedRequest, inbox_id: int, user_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    membership = _membership(inbox, user_id)
    handed_back = actions.remove_member(inbox, user=membership.user, actor=request.user)
    message = _("%(name)s is no longer a member of %(inbox)s.") % {
        "name": membership.user,
        "inbox": inbox,
    }
    if handed_back:
        message += " " + _("Their %(count)s open conversations there are unassigned again.") % {
            "count": handed_back
        }
    messages.success(request, message)
    if inbox_role(request.user, inbox) != InboxRole.MANAGER:
        # The manager took themselves out: this page is no longer theirs.
        target = "inbox_settings:inboxes" if manages_any_inbox(request.user) else "inbox:index"
        return redirect(target)
    return _back_to_members(request, inbox)


@require_POST
def channel_add(request: AuthenticatedRequest, inbox_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    form = ChannelForm(request.POST)
    if not form.is_valid():
        return _back_to_channels(request, inbox, form=form, status=422)
    data = form.cleaned_data
    try:
        channel = actions.add_channel(
            inbox,
            kind=data["kind"],
            address=data["address"],
            label=data["label"],
            actor=request.user,
        )
    except ActionRefused as refused:
        form.add_error("address", refused.message)
        return _back_to_channels(request, inbox, form=form, status=422)
    messages.success(
        request,
        _("%(inbox)s now receives %(channel)s at %(address)s.")
        % {"inbox": inbox, "channel": channel.get_kind_display(), "address": _shown(channel)},
    )
    return _back_to_channels(request, inbox)


@require_POST
def channel_remove(request: AuthenticatedRequest, inbox_id: int, channel_id: int) -> HttpResponse:
    inbox = access_inbox(request.user, inbox_id, manage=True)
    channel = get_object_or_404(
        InboxChannel.objects.select_related("inbox"), inbox=inbox, pk=channel_id
    )
    actions.remove_channel(channel, actor=request.user)
    messages.success(
        request,
        _("%(address)s no longer belongs to %(inbox)s.")
        % {"address": _shown(channel), "inbox": inbox},
    )
    return _back_to_channels(request, inbox)


def _back_to_channels(
    request: AuthenticatedRequest,
    inbox: Inbox,
    *,
    form: ChannelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if is_partial_request(request) or status != 200:
        context = _detail_context(request, inbox, channel_form=form)
        return render_page(
            request, DETAIL_TEMPLATE, context, fragment="inbox-channels", status=status
        )
    return redirect(f"{reverse('inbox_settings:inbox_detail', args=[inbox.pk])}#channels")


def provider_setup() -> dict[str, Any]:
    """How the providers are configured, from the environment: the backends, whether the
    credentials are present (never their values), and the webhook URLs to give each provider."""
    base = settings.PUBLIC_BASE_URL
    anymail = getattr(settings, "ANYMAIL", {})
    return {
        "sms_backend": settings.SMS_BACKEND,
        "twilio_configured": bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN),
        "email_backend": settings.EMAIL_BACKEND,
        "webhook_secret_set": bool(anymail.get("WEBHOOK_SECRET")),
        "urls": [
            (_("Twilio: a message comes in"), base + reverse("webhooks:twilio_inbound")),
            (_("Twilio: status callback"), base + reverse("webhooks:twilio_status")),
            (_("Postmark: inbound webhook"), f"{base}/anymail/postmark/inbound/"),
            (
                _("Mailgun: inbound route (store and notify)"),
                f"{base}/anymail/mailgun/inbound_mime/",
            ),
        ],
    }


def _shown(channel: InboxChannel) -> str:
    """A number as people read it (+49 40 1234567); an e-mail address as it is."""
    return channel.address if channel.kind == Channel.EMAIL else format_phone(channel.address)


def _channels(inbox: Inbox) -> list[InboxChannel]:
    channels = list(InboxChannel.objects.filter(inbox=inbox).order_by("kind", "address"))
    for channel in channels:
        channel.shown = _shown(channel)  # type: ignore[attr-defined]
    return channels


def _membership(inbox: Inbox, user_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user"), inbox=inbox, user_id=user_id
    )


def _first_error(form: Any) -> str:
    return next(iter(error for errors in form.errors.values() for error in errors))


def _members_again(
    request: AuthenticatedRequest, inbox_id: int, user_id: int | None = None, *, status: int
) -> HttpResponse:
    """After a refusal: the members section as it is now (the reason is a toast)."""
    return _back_to_members(request, access_inbox(request.user, inbox_id), status=status)


def _back_to_members(
    request: AuthenticatedRequest, inbox: Inbox, *, status: int = 200
) -> HttpResponse:
    if is_partial_request(request):
        context = _detail_context(request, inbox)
        return render_page(
            request, DETAIL_TEMPLATE, context, fragment="inbox-members", status=status
        )
    return redirect(f"{reverse('inbox_settings:inbox_detail', args=[inbox.pk])}#members")


def _detail_context(
    request: AuthenticatedRequest,
    inbox: Inbox,
    *,
    form: InboxForm | None = None,
    channel_form: ChannelForm | None = None,
) -> dict[str, Any]:
    memberships = list(
        Membership.objects.filter(inbox=inbox)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )
    limits = dict(
        AgentCapacity.objects.filter(user__in=[m.user_id for m in memberships]).values_list(
            "user_id", "limit"
        )
    )
    for membership in memberships:
        membership.capacity = limits.get(membership.user_id, AgentCapacity.DEFAULT)  # type: ignore[attr-defined]
    return {
        "inbox": inbox,
        "form": form or InboxForm(instance=inbox),
        # Later apps' pages of this inbox (its surveys), beside the campaign settings.
        "settings_links": inbox_settings_links(request.user, inbox),
        "memberships": memberships,
        "manager_count": sum(m.role == InboxRole.MANAGER for m in memberships),
        "add_form": AddMemberForm(inbox=inbox),
        "roles": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
        "channels": _channels(inbox),
        "channel_form": channel_form or ChannelForm(),
        "providers": provider_setup(),
    }
