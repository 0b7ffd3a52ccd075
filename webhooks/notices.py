"""The e-mail to the organisation's admins when Switchboard disabled an endpoint itself
(410 Gone, or a delivery that used up every retry). Sent by a task on the send queue."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Organisation, User
from webhooks.models import WebhookEndpoint


def send_disabled_notice(endpoint_id: int) -> int:
    """E-mail every licensed admin in their language; returns how many were written to.
    Nothing when the endpoint is gone or was enabled again meanwhile."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=False).first()
    if endpoint is None:
        return 0
    link = settings.PUBLIC_BASE_URL + reverse("webhook_settings:endpoint", args=[endpoint.pk])
    sent = 0
    for admin in User.objects.admins().licensed().order_by("id"):
        context = {
            "admin": admin,
            "endpoint": endpoint,
            "organisation": Organisation.load(),
            "link": link,
        }
        with translation.override(admin.language or settings.LANGUAGE_CODE):
            context["reason"] = endpoint.get_disabled_reason_display()
            subject = render_to_string("webhooks/emails/disabled_subject.txt", context).strip()
            body = render_to_string("webhooks/emails/disabled_body.txt", context)
        EmailMultiAlternatives(subject=subject, body=body, to=[admin.email]).send()
        sent += 1
    return sent
