"""Settings → Webhooks through HTTP: admins manage endpoints; everybody else gets 404."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.webhooks_helpers import deliveries, endpoint_for, verified
from webhooks import delivery
from webhooks.models import DeliveryStatus, EndpointEvent, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"webhook_settings:{name}", args=args)


@pytest.fixture
def endpoint(ada, webhook_receiver):
    return endpoint_for(ada, webhook_receiver.url, description="CRM")[0]


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(client_for, ada, webhook_receiver):
    client = client_for(ada)

    response = client.post(
        url("endpoint_add"),
        {
            "url": webhook_receiver.url,
            "description": "Unser CRM",
            "event_types": ["contact.created", "message.created"],
        },
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", response.content.decode()).group(0)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["contact.created", "message.created"]
    assert endpoint.signing_secrets() == [secret]
    assert EndpointEvent.objects.filter(kind="created", actor=ada).exists()
    for page in [url("endpoints"), url("endpoint", endpoint.pk), url("endpoint_edit", endpoint.pk)]:
        assert secret not in client.get(page).content.decode()


def test_the_list_shows_status_and_an_empty_state(client_for, ada, endpoint):
    response = client_for(ada).get(url("endpoints"))
    assert b'data-endpoint-status="enabled"' in response.content

    WebhookEndpoint.objects.all().delete()
    assert b"No endpoints yet" in client_for(ada).get(url("endpoints")).content


def test_bad_input_gets_a_clear_message_not_a_500(client_for, ada):
    client = client_for(ada)

    for data in [
        {"url": "not a url"},
        {"url": "http://10.0.0.1/x", "all_events": "on"},
        {"url": "https://" + "a" * 3000 + ".example.com/", "all_events": "on"},
        {"url": "https://crm.example.com/\x00", "all_events": "on"},
        {"url": "", "event_types": ["no.such.event"]},
    ]:
        response = client.post(url("endpoint_add"), data)
        assert response.status_code == 422, data
        assert b"field-error" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_choosing_no_event_is_refused(client_for, ada, webhook_receiver):
    response = client_for(ada).post(url("endpoint_add"), {"url": webhook_receiver.url})

    assert response.status_code == 422
    assert b"Choose at least one event" in response.content


def test_editing_changes_the_events_and_the_personal_data_switch(client_for, ada, endpoint):
    response = client_for(ada).post(
        url("endpoint_edit", endpoint.pk),
        {"url": endpoint.url, "all_events": "on", "include_personal_data": "on"},
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["*"]
    assert endpoint.include_personal_data


def test_rotating_asks_first_then_shows_the_new_secret(client_for, ada, endpoint):
    client = client_for(ada)
    old = endpoint.signing_secrets()

    assert client.get(url("endpoint_rotate", endpoint.pk)).status_code == 200
    response = client.post(url("endpoint_rotate", endpoint.pk))

    new = re.search(r"whsec_[A-Za-z0-9+/=]+", response.content.decode()).group(0)
    endpoint.refresh_from_db()
    assert endpoint.signing_secrets() == [new, *old]
    assert EndpointEvent.objects.filter(kind="secret_rotated").exists()


def test_disable_enable_and_delete(client_for, ada, endpoint):
    client = client_for(ada)

    client.post(url("endpoint_disable", endpoint.pk))
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == "manual"
    assert b"Disabled by an admin" in client.get(url("endpoint", endpoint.pk)).content
    client.post(url("endpoint_enable", endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.disabled_reason == ""

    assert client.get(url("endpoint_delete", endpoint.pk)).status_code == 200
    assert client.post(url("endpoint_delete", endpoint.pk)).status_code == 302
    assert not WebhookEndpoint.objects.exists()
    kinds = set(EndpointEvent.objects.values_list("kind", flat=True))
    assert {"created", "disabled", "enabled", "deleted"} <= kinds


def test_send_test_event_replay_and_the_delivery_log(client_for, ada, endpoint, webhook_receiver):
    client = client_for(ada)
    client.post(url("endpoint_test", endpoint.pk))
    delivery.dispatch()
    [row] = deliveries(endpoint)
    assert row.status == DeliveryStatus.SUCCEEDED

    page = client.get(url("endpoint", endpoint.pk)).content.decode()
    assert "webhook.test" in page and "Succeeded" in page and "{&quot;ok&quot;: true}" in page

    client.post(url("delivery_replay", endpoint.pk, row.pk))
    delivery.dispatch()
    assert len(webhook_receiver.requests) == 2
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SUCCEEDED


def test_replay_failed_since_through_the_page(client_for, ada, endpoint, webhook_receiver):
    webhook_receiver.always(500)
    client = client_for(ada)
    client.post(url("endpoint_test", endpoint.pk))
    delivery.dispatch()
    webhook_receiver.always(200)
    since = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(url("endpoint_replay", endpoint.pk), {"since": since}, follow=True)

    assert b"1 failed deliveries are sent again" in response.content
    delivery.dispatch()
    assert deliveries(endpoint)[0].status == DeliveryStatus.SUCCEEDED
    bad = client.post(url("endpoint_replay", endpoint.pk), {"since": "gestern"}, follow=True)
    assert bad.status_code == 200


def test_the_delivery_log_pages_with_a_cursor_in_a_fixed_number_of_queries(
    client_for, ada, endpoint, django_assert_max_num_queries
):
    from webhooks.models import WebhookEvent

    events = WebhookEvent.objects.bulk_create(
        WebhookEvent(organisation_id=1, type="contact.created") for _ in range(60)
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=e, endpoint=endpoint, status="succeeded") for e in events
    )
    client = client_for(ada)

    with django_assert_max_num_queries(12):
        first = client.get(url("endpoint", endpoint.pk))
    cursor = re.search(r"after=([\w-]+)", first.content.decode()).group(1)
    second = client.get(
        url("endpoint", endpoint.pk) + f"?after={cursor}", headers={"HX-Request": "true"}
    )

    assert first.content.decode().count('data-delivery-status="succeeded"') == 25
    assert second.content.decode().count('data-delivery-status="succeeded"') == 25
    assert client.get(url("endpoint", endpoint.pk) + "?after=forged").status_code == 404


def test_the_signature_guide_uses_the_endpoints_url_and_a_placeholder(client_for, ada, endpoint):
    page = client_for(ada).get(url("endpoint_verify", endpoint.pk)).content.decode()

    assert endpoint.url in page
    assert "whsec_YOUR_SECRET" in page
    assert "standardwebhooks" in page
    assert endpoint.signing_secrets()[0] not in page


@pytest.mark.parametrize("persona", ["max_manager", "alice"])
def test_managers_and_agents_get_404_everywhere(request, client_for, ada, endpoint, persona):
    client = client_for(request.getfixturevalue(persona))
    row = WebhookDelivery.objects.create(
        event=__import__("webhooks.actions").actions.send_test_event(endpoint, actor=ada),
        endpoint=WebhookEndpoint.objects.create(
            organisation_id=1, url="https://x.example", secret_encrypted="x"
        ),
    )
    gets = ["endpoints", "endpoint_add"]
    for name in gets:
        assert client.get(url(name)).status_code == 404
    for name in [
        "endpoint",
        "endpoint_edit",
        "endpoint_rotate",
        "endpoint_delete",
        "endpoint_verify",
    ]:
        assert client.get(url(name, endpoint.pk)).status_code == 404
    for name in [
        "endpoint_enable",
        "endpoint_disable",
        "endpoint_test",
        "endpoint_replay",
        "endpoint_rotate",
        "endpoint_delete",
    ]:
        assert client.post(url(name, endpoint.pk)).status_code == 404
    assert client.post(url("delivery_replay", endpoint.pk, row.pk)).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).exists()


def test_the_settings_navigation_shows_webhooks_to_admins_only(client_for, ada, max_manager):
    assert url("endpoints").encode() in client_for(ada).get(reverse("settings:users")).content
    assert client_for(max_manager).get(url("endpoints")).status_code == 404


def test_a_delivery_of_another_endpoint_is_404(client_for, ada, endpoint):
    other, _ = endpoint_for(ada, endpoint.url + "/other")
    from webhooks import actions

    event = actions.send_test_event(other, actor=ada)
    row = WebhookDelivery.objects.get(event=event)

    response = client_for(ada).post(url("delivery_replay", endpoint.pk, row.pk))

    assert response.status_code == 404
    assert client_for(ada).get(url("endpoint", 999_999)).status_code == 404


def test_verified_helper_checks_a_real_request(ada, endpoint, webhook_receiver):
    from webhooks import actions

    actions.send_test_event(endpoint, actor=ada)
    delivery.dispatch()
    secret = endpoint.signing_secrets()[0]
    assert verified(secret, webhook_receiver.requests[0])["type"] == "webhook.test"
