"""The widget's public pages under /w/ (no log-in; webchat.widget checks every request):
the loader script, the chat page the loader frames, and the chat page's requests.

The chat page's requests authenticate with the visitor's token in a header, never a cookie
(the iframe is a third-party frame, where browsers withhold cookies), so CSRF does not apply
and the POSTs are csrf_exempt.
"""

import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from inbox.actions.receiving import IncomingFile
from inbox.reply_files import ACCEPT, check_reply_files
from webchat.access import public_widget, visitor_attachment, visitor_for
from webchat.actions import visitors as actions
from webchat.forms import LeaveEmailForm, VisitorMessageForm
from webchat.identity import IdentityRefused, verify_token
from webchat.models import ConsentMode
from webchat.origins import normalise_origin, origin_of, own_origin
from webchat.widget import (
    REFRESH_HEADER,
    SHOWN_HEADER,
    WidgetRequest,
    poll_is_idle,
    read_file_token,
    read_watch,
    refused,
    thread_context,
    widget_request,
)

TEMPLATE = "webchat/chat.html"
LOADER = "webchat/loader.js"
JOURNEY = "webchat/journey.js"
LOADER_MAX_AGE = 300


@cache
def _source(path: str, mtime: float) -> str:
    return Path(path).read_text(encoding="utf-8")


def _static_source(name: str) -> str:
    """A file of static/ as text ("" when absent: the journey recorder is optional)."""
    path = finders.find(name)
    if not path or not Path(str(path)).exists():
        return ""
    return _source(str(path), Path(str(path)).stat().st_mtime)


@login_not_required
@require_GET
def loader(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET /w/<public id>.js: the core script, the journey recorder after it when present,
    and the call that starts them with this widget's configuration as JSON data."""
    widget = public_widget(public_id)
    referer = origin_of(request.headers.get("Referer", ""))
    if referer and referer not in widget.origins:
        return refused(_("This website may not use this chat."))
    base = settings.PUBLIC_BASE_URL
    config = {
        "id": widget.public_id,
        "origin": own_origin(),
        "chat": f"{base}/w/{widget.public_id}/chat/",
        "css": base + static("webchat/launcher.css"),
        "colour": widget.colour,
        "mode": widget.consent_mode,
        "journey": f"{base}/w/{widget.public_id}/pv",
        "labels": {"open": _("Chat with us"), "close": _("Close the chat")},
    }
    # JSON is a JavaScript literal; "<" escaped so no "</script>" can end anything.
    data = json.dumps(config, ensure_ascii=True).replace("<", "\\u003c")
    body = "\n".join(
        [
            "(function () {",
            _static_source(LOADER),
            _static_source(JOURNEY),
            f"switchboardWidget({data}, typeof switchboardJourney === 'function' ? "
            "switchboardJourney : null);",
            "})();",
        ]
    )
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={LOADER_MAX_AGE}"
    return response


@login_not_required
@xframe_options_exempt
@require_GET
def chat(request: HttpRequest, public_id: str) -> HttpResponse:
    """The chat page in the loader's iframe (`?origin=` the host page's origin), or the
    settings page's preview (`?preview=1`, framed by Switchboard itself, sends nothing)."""
    preview = request.GET.get("preview") == "1"
    widget = public_widget(public_id, preview=preview)
    if preview:
        embed = own_origin()
        ancestors = ["'self'"]
    else:
        try:
            embed = normalise_origin(request.GET.get("origin", ""))
        except ValidationError:
            embed = ""
        checked = widget_request(request, public_id, embed=embed)
        if not isinstance(checked, WidgetRequest):
            return checked
        ancestors = widget.origins
    context = thread_context(widget, None, shown=False)
    context.update(
        # The visitor's token is in their browser only: the first poll draws their thread.
        since="",
        preview=preview,
        embed=embed,
        form=VisitorMessageForm(),
        email_form=LeaveEmailForm(),
        accept=ACCEPT,
    )
    response = render(request, TEMPLATE, context)
    response._csp_replace = {"frame-ancestors": ancestors}  # type: ignore[attr-defined]
    return response


@login_not_required
@require_GET
def thread(request: HttpRequest, public_id: str) -> HttpResponse:
    """The poll: 204 while the stamps of the visitor and of their conversations are those
    the poller carries (the cache only, no query); the visitor's thread otherwise."""
    checked = widget_request(request, public_id)
    if not isinstance(checked, WidgetRequest):
        return checked
    refresh = bool(request.headers.get(REFRESH_HEADER))
    if not refresh and poll_is_idle(checked.token, request.GET):
        return HttpResponse(status=204)
    return _thread(request, checked, watched=read_watch(request.GET.get("watch", "")))


def _thread(
    request: HttpRequest,
    checked: WidgetRequest,
    *,
    status: int = 200,
    watched: list[int] | None = None,
    **extra: object,
) -> HttpResponse:
    visitor = visitor_for(checked.widget, checked.token)
    shown = request.headers.get(SHOWN_HEADER) == "1"
    context = thread_context(
        checked.widget, visitor, shown=shown, token=checked.token, watched=watched
    )
    context.update(extra)
    return render(request, f"{TEMPLATE}#wc-thread", context, status=status)


@csrf_exempt
@login_not_required
@require_POST
def send(request: HttpRequest, public_id: str) -> HttpResponse:
    checked = widget_request(request, public_id)
    if not isinstance(checked, WidgetRequest):
        return checked
    if not checked.token:
        return refused(_("The chat could not start; reload the page."), status=400)
    form = VisitorMessageForm(request.POST, request.FILES)
    uploads = request.FILES.getlist("files")
    problem = ""
    files: list[IncomingFile] = []
    if not form.is_valid():
        problem = str(next(iter(e for errors in form.errors.values() for e in errors)))
    else:
        try:
            checked_files = check_reply_files(uploads, channel="web")
        except ValidationError as invalid:
            problem = " ".join(invalid.messages)
        else:
            files = [
                IncomingFile(f.filename, f.kind.content_type, content=f.upload.read())
                for f in checked_files
            ]
    body = (form.cleaned_data.get("body") or "").strip() if not problem else ""
    if not problem and not body and not files:
        problem = _("Write a message or attach a file.")
    if problem:
        return _thread(
            request,
            checked,
            status=422,
            problem=problem,
            typed=request.POST.get("body", ""),
        )
    visitor = actions.visitor_for_token(checked.widget, checked.token)
    client_id = form.cleaned_data.get("client_id") or ""
    actions.receive_visitor_message(visitor, body=body, client_id=client_id, files=files)
    return _thread(request, checked)


@csrf_exempt
@login_not_required
@require_POST
def hello(request: HttpRequest, public_id: str) -> HttpResponse:
    """The visitor opened the chat (or the host passed consent): from now on they are a
    visitor the widget knows (the journey app records them from this moment)."""
    checked = widget_request(request, public_id)
    if not isinstance(checked, WidgetRequest):
        return checked
    if not checked.token:
        return refused(_("The chat could not start; reload the page."), status=400)
    consent = request.POST.get("consent", "")
    if consent in ("true", "false"):
        # Consent alone makes a visitor only where the journey mode records on consent.
        visitor = visitor_for(checked.widget, checked.token)
        if visitor is None and checked.widget.consent_mode == ConsentMode.JOURNEY:
            visitor = actions.visitor_for_token(checked.widget, checked.token)
        if visitor is not None:
            actions.set_consent(visitor, consent == "true")
        return HttpResponse(status=204)
    actions.visitor_for_token(checked.widget, checked.token)
    return HttpResponse(status=204)


@csrf_exempt
@login_not_required
@require_POST
def identify(request: HttpRequest, public_id: str) -> HttpResponse:
    """Switchboard('identify', {token}): a refused token leaves the chat as it was, with
    the reason shown; a verified one links the visitor and shows their web history."""
    checked = widget_request(request, public_id)
    if not isinstance(checked, WidgetRequest):
        return checked
    if not checked.token:
        return refused(_("The chat could not start; reload the page."), status=400)
    try:
        claims = verify_token(request.POST.get("token", ""), checked.widget.identity_secret)
    except IdentityRefused as refusal:
        return _thread(request, checked, status=422, notice=refusal.message)
    visitor = actions.visitor_for_token(checked.widget, checked.token)
    actions.identify_visitor(visitor, claims)
    return _thread(request, checked, notice=_("You are signed in."))


@csrf_exempt
@login_not_required
@require_POST
def leave_email(request: HttpRequest, public_id: str) -> HttpResponse:
    checked = widget_request(request, public_id)
    if not isinstance(checked, WidgetRequest):
        return checked
    form = LeaveEmailForm(request.POST)
    visitor = visitor_for(checked.widget, checked.token)
    if visitor is None:
        return refused(_("Write your question first, then leave your address."), status=400)
    if not form.is_valid():
        return _thread(request, checked, status=422, email_problem=form.errors["email"][0])
    try:
        actions.leave_email(visitor, form.cleaned_data["email"])
    except ValidationError as invalid:
        return _thread(request, checked, status=422, email_problem=invalid.messages[0])
    return _thread(request, checked)


@login_not_required
@require_GET
def attachment(request: HttpRequest, public_id: str, token: str) -> HttpResponseBase:
    """A file of the visitor's conversation, by the signed link the thread gave them."""
    widget = public_widget(public_id)
    referer = origin_of(request.headers.get("Referer", ""))
    if referer and referer not in {own_origin(), *widget.origins}:
        return refused(_("This website may not use this chat."))
    found = read_file_token(token)
    if found is None:
        raise Http404
    file = visitor_attachment(widget, *found)
    return FileResponse(
        file.file.open("rb"),
        as_attachment=True,
        filename=file.filename,
        content_type=file.content_type or "application/octet-stream",
    )
