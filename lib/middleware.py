"""Cross-cutting response handling for htmx, done once here instead of in every view."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

TOASTS_TEMPLATE = "_toasts.html"


class HtmxResponseMiddleware:
    """Make htmx responses behave like full-page ones.

    - `Vary: HX-Request`, so a cache never serves a fragment for a page or the reverse.
    - A redirect answering an htmx request becomes `HX-Redirect`: the browser loads the page
      instead of fetch() following the redirect and swapping a whole page into a fragment
      (a session that expired mid-work lands on the log-in page this way).
    - Pending messages travel with an HTML htmx response as an `<hx-partial>` appended to
      `#toasts`, so a view only calls `messages.success(...)` whatever the request type.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        if not getattr(request, "htmx", False):
            return response
        if 300 <= response.status_code < 400 and response.has_header("Location"):
            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = response["Location"]
            for header in ("Vary", "Set-Cookie"):
                if response.has_header(header):
                    redirect[header] = response[header]
            redirect.cookies = response.cookies
            return redirect
        if self._carries_html(response):
            self._append_toasts(request, response)
        return response

    @staticmethod
    def _carries_html(response: HttpResponse) -> bool:
        return (
            not getattr(response, "streaming", False)
            and response.status_code != 204
            and response.get("Content-Type", "").startswith("text/html")
        )

    @staticmethod
    def _append_toasts(request: HttpRequest, response: HttpResponse) -> None:
        pending = list(messages.get_messages(request))
        if not pending:
            return
        html = render_to_string(TOASTS_TEMPLATE, {"toasts": pending}, request=request)
        response.content += (
            f'<hx-partial hx-target="#toasts" hx-swap="beforeend">{html}</hx-partial>'
        ).encode(response.charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
