"""Settings → Inboxes → an inbox → Web chat, for the inbox's managers and admins (the
other users of the inbox get 403, everybody else 404: webchat.access.access_widget)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from webchat.access import access_widget
from webchat.actions.widgets import rotate_identity_secret, save_widget_settings
from webchat.forms import WidgetSettingsForm
from webchat.models import BrandColour, WebWidget

TEMPLATE = "webchat/settings.html"


def widget_settings(request: AuthenticatedRequest, inbox_id: int) -> HttpResponse:
    widget = access_widget(request.user, inbox_id)
    form = WidgetSettingsForm.for_widget(widget, request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = widget.pk is None
        save_widget_settings(
            widget,
            actor=request.user,
            enabled=form.cleaned_data["enabled"],
            colour=form.cleaned_data["colour"],
            greeting=form.cleaned_data["greeting"],
            away_message=form.cleaned_data["away_message"],
            origins=form.cleaned_data["allowed_origins"],
            consent_mode=form.cleaned_data["consent_mode"],
        )
        messages.success(request, _("The web chat settings are saved."))
        if created:
            # The first save made the identity secret: shown this once, on the next page.
            request.session[_secret_key(widget)] = widget.identity_secret
        return redirect("webchat_settings:inbox_web_chat", inbox_id=widget.inbox_id)
    status = 422 if form.errors else 200
    return render(request, TEMPLATE, _context(request, widget, form), status=status)


@require_POST
def widget_secret_rotate(request: AuthenticatedRequest, inbox_id: int) -> HttpResponse:
    widget = access_widget(request.user, inbox_id)
    if widget.pk is None:
        messages.error(request, _("Save the web chat settings first."))
        return redirect("webchat_settings:inbox_web_chat", inbox_id=inbox_id)
    request.session[_secret_key(widget)] = rotate_identity_secret(widget, actor=request.user)
    messages.success(
        request, _("A new identity secret is made: tokens signed with the old one are refused.")
    )
    return redirect(f"{reverse('webchat_settings:inbox_web_chat', args=[inbox_id])}#identity")


def _secret_key(widget: WebWidget) -> str:
    return f"webchat-secret:{widget.pk}"


def _context(request: AuthenticatedRequest, widget: WebWidget, form: Any) -> dict[str, Any]:
    base = settings.PUBLIC_BASE_URL
    snippet = ""
    if widget.pk is not None:
        snippet = f'<script src="{base}/w/{widget.public_id}.js" async></script>'
    return {
        "inbox": widget.inbox,
        "widget": widget,
        "form": form,
        "snippet": snippet,
        # Shown once: popped from the session by the page that shows it.
        "new_secret": request.session.pop(_secret_key(widget), "") if widget.pk else "",
        "colours": BrandColour,
        "preview_url": (
            f"{reverse('webchat:chat', args=[widget.public_id])}?preview=1"
            if widget.pk is not None
            else ""
        ),
    }


def inbox_settings_link(user: Any, inbox: Any) -> dict[str, Any] | None:
    """ "Web chat" on the inbox's settings page (its managers')."""
    url = reverse("webchat_settings:inbox_web_chat", args=[inbox.pk])
    return {"name": "webchat", "label": _("Web chat"), "url": url}
