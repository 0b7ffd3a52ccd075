"""The SSRF guard: endpoint URLs may reach only public addresses — checked when the URL is
saved (a form error) and, the check that counts, every time a delivery is sent."""

import pytest

from tests.webhooks_helpers import deliveries, endpoint_for
from webhooks import actions, delivery, ssrf
from webhooks.forms import EndpointForm
from webhooks.models import DeliveryStatus

pytestmark = pytest.mark.django_db

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.8.0.1:8080/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.9/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://100.64.0.1/hook",
]


@pytest.fixture(autouse=True)
def _no_private_networks(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_addresses_are_refused(url):
    with pytest.raises(ssrf.Refused):
        ssrf.check(url)


def test_a_host_name_that_resolves_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["93.184.215.14", "10.0.0.5"])

    with pytest.raises(ssrf.Refused, match=r"10\.0\.0\.5"):
        ssrf.check("https://intranet.example.com/hook")


def test_localhost_is_refused():
    with pytest.raises(ssrf.Refused):
        ssrf.check("http://localhost:8000/hook")


def test_a_public_address_is_allowed_and_the_connection_goes_to_it(monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["93.184.215.14"])

    target = ssrf.check("https://crm.example.com:8443/hook?x=1")

    assert (target.host, target.port, target.ip) == ("crm.example.com", 8443, "93.184.215.14")


@pytest.mark.parametrize(
    "url", ["ftp://crm.example.com/", "https://user:pw@crm.example.com/", "crm.example.com"]
)
def test_other_schemes_and_credentials_are_refused(url):
    with pytest.raises(ssrf.Refused):
        ssrf.check(url)


def test_the_setting_allows_private_networks_but_never_unspecified(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True

    assert ssrf.check("http://127.0.0.1:9/hook").ip == "127.0.0.1"
    assert ssrf.check("http://10.1.2.3/hook").ip == "10.1.2.3"
    with pytest.raises(ssrf.Refused):
        ssrf.check("http://0.0.0.0/hook")


def test_the_form_refuses_a_private_url_with_a_clear_error():
    form = EndpointForm({"url": "http://169.254.169.254/", "all_events": "on"})

    assert not form.is_valid()
    assert "private network" in form.errors["url"][0]


def test_the_send_time_check_counts_even_when_the_dns_answer_changes(ada, monkeypatch):
    # Saved while the name resolved to a public address; at send time it resolves to
    # loopback (DNS rebinding): nothing is sent, the attempt fails and will be retried.
    answers = {"now": ["93.184.215.14"]}
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: answers["now"])
    endpoint, _ = endpoint_for(ada, "https://crm.example.com/hook")
    actions.send_test_event(endpoint, actor=ada)
    answers["now"] = ["127.0.0.1"]

    delivery.dispatch()

    [row] = deliveries(endpoint)
    assert row.status == DeliveryStatus.FAILED
    assert "private network" in row.error
    assert row.last_status_code is None
