"""Every contacts URL: anonymous visitors are sent to log in, unknown ids are 404, and the
rights each role lacks are refused. Parametrised over the URL patterns, so a new URL cannot
escape it."""

import pytest
from django.urls import URLPattern, reverse

from contacts import settings_urls, urls
from tests.factories import ContactFactory

ID_KWARGS = {"contact_id", "other_id", "note_id", "identity_id", "event_id"}


def patterns(module):
    return [p for p in module.urlpatterns if isinstance(p, URLPattern)]


def url_for(pattern, namespace, value):
    kwargs = {name: value for name in pattern.pattern.converters}
    if "file_format" in kwargs:
        kwargs["file_format"] = "json"
    return reverse(f"{namespace}:{pattern.name}", kwargs=kwargs)


ALL = [(p, "contacts") for p in patterns(urls)] + [
    (p, "contact_settings") for p in patterns(settings_urls)
]


@pytest.mark.parametrize(("pattern", "namespace"), ALL, ids=lambda v: getattr(v, "name", v))
def test_anonymous_visitors_are_sent_to_log_in(client, db, pattern, namespace):
    response = client.get(url_for(pattern, namespace, 1))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


ID_URLS = [(p, ns) for p, ns in ALL if set(p.pattern.converters) & ID_KWARGS]


@pytest.mark.parametrize(("pattern", "namespace"), ID_URLS, ids=lambda v: getattr(v, "name", v))
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_id_is_a_404_for_an_admin(client_for, ada, pattern, namespace, method):
    response = getattr(client_for(ada), method)(url_for(pattern, namespace, 987654))

    assert response.status_code in (404, 405)


def test_a_contact_merged_away_cannot_be_acted_on(client_for, ada):
    survivor, absorbed = ContactFactory(), ContactFactory(merged_into=None)
    absorbed.merged_into = survivor
    absorbed.save()

    for name in ("profile_edit", "identities", "block", "delete"):
        response = client_for(ada).post(reverse(f"contacts:{name}", args=[absorbed.pk]))
        assert response.status_code == 404, name
