"""django-anymail's webhook URLs (/anymail/<esp>/inbound/ and the tracking ones), each served
by anymail's view with RefusesUnreadablePayloads mixed in (inbox.channels.email.webhooks)."""

from anymail import urls as anymail_urls
from django.urls import URLPattern

from inbox.channels.email.webhooks import refusing_unreadable_payloads

app_name = "anymail"


def _refusing(pattern: URLPattern) -> URLPattern:
    view_class = pattern.callback.view_class  # type: ignore[attr-defined]
    return URLPattern(
        pattern.pattern,
        refusing_unreadable_payloads(view_class),
        pattern.default_args,
        pattern.name,
    )


urlpatterns = [_refusing(pattern) for pattern in anymail_urls.urlpatterns]
