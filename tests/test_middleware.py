"""Responses: Vary, htmx redirects, toasts, and the security headers."""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseRedirect
from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxMiddleware

from lib.middleware import HtmxResponseMiddleware


def run_middleware(view, *, htmx: bool):
    request = RequestFactory().get("/", headers={"HX-Request": "true"} if htmx else {})
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    request.session = SessionStore()
    request.user = AnonymousUser()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return HtmxMiddleware(HtmxResponseMiddleware(view))(request)


def test_every_response_varies_on_hx_request():
    response = run_middleware(lambda request: HttpResponse("ok"), htmx=False)

    assert "HX-Request" in response["Vary"]


def test_a_redirect_answering_htmx_becomes_hx_redirect():
    response = run_middleware(lambda request: HttpResponseRedirect("/inbox/"), htmx=True)

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/inbox/"


def test_a_redirect_without_htmx_stays_a_redirect():
    response = run_middleware(lambda request: HttpResponseRedirect("/inbox/"), htmx=False)

    assert response.status_code == 302


def test_messages_ride_along_with_htmx_html_as_toasts():
    def view(request):
        messages.success(request, "Saved <b>it</b>")
        return HttpResponse("<form></form>")

    response = run_middleware(view, htmx=True)

    body = response.content.decode()
    assert body.startswith("<form></form>")
    assert '<hx-partial hx-target="#toasts" hx-swap="beforeend">' in body
    assert "Saved &lt;b&gt;it&lt;/b&gt;" in body


def test_messages_wait_for_the_next_page_when_htmx_is_redirected():
    def view(request):
        messages.success(request, "Saved")
        return HttpResponseRedirect("/next/")

    response = run_middleware(view, htmx=True)

    assert response.content == b""


def test_pages_carry_a_strict_content_security_policy(client_for, alice):
    response = client_for(alice).get(reverse("inbox:index"))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"


def test_htmx_sends_the_csrf_token_through_an_inherited_header(client_for, alice):
    body = client_for(alice).get(reverse("inbox:index")).content.decode()

    assert 'hx-headers:inherited=\'{"X-CSRFToken": "' in body


def test_the_vendored_htmx_is_4_0_1(client):
    from django.contrib.staticfiles import finders

    path = finders.find("vendor/htmx-4.0.1.min.js")
    assert path
    assert '"4.0.1"' in Path(path).read_text(encoding="utf-8")
