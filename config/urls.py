from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api import urls as api_urls
from lib import views as lib_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox:index"), name="home"),
    path("healthz", lib_views.healthz, name="healthz"),
    # Prometheus (METRICS_TOKEN) and browsers' CSP violation reports (README "Observability")
    path("metrics", lib_views.metrics_view, name="metrics"),
    path("csp-report", lib_views.csp_report, name="csp_report"),
    path("accounts/", include("accounts.urls")),
    path("settings/", include("accounts.settings_urls")),
    path("settings/", include("contacts.settings_urls")),
    path("inbox/", include("inbox.urls")),
    path("routing/", include("inbox.routing_urls")),
    path("settings/", include("inbox.settings_urls")),
    path("settings/", include("campaigns.settings_urls")),
    path("contacts/", include("contacts.urls")),
    path("campaigns/templates/", include("campaigns.template_urls")),
    path("campaigns/surveys/", include("surveys.urls")),
    # The short public links of survey invitations (no log-in; surveys.public_views).
    path("s/", include("surveys.public_urls")),
    path("campaigns/", include("campaigns.urls")),
    # The web chat widget's journey endpoint (public, origin-checked) and the agents' views.
    path("w/", include("journey.urls")),
    path("journey/", include("journey.agent_urls")),
    path("settings/", include("journey.settings_urls")),
    path("assistant/", include("assistant.urls")),
    path("settings/", include("assistant.settings_urls")),
    # The REST API (bearer tokens, problem details; api.gateway) and Settings → API.
    path("api/", include(api_urls.urls, namespace="api")),
    path("settings/", include("api.settings_urls")),
    path("settings/", include("webhooks.settings_urls")),
    path("settings/", include("webchat.settings_urls")),
    # The web chat widget's public pages: the loader /w/<id>.js and the chat (no log-in).
    path("w/", include("webchat.public_urls")),
    path("settings/", include("operations.urls")),
    path("webhooks/campaigns/", include("campaigns.webhook_urls")),
    path("webhooks/", include("inbox.webhook_urls")),
    # django-anymail's inbound (and tracking) webhooks: /anymail/<esp>/inbound/, answering
    # 400 to a payload they cannot read (inbox/channels/email/webhooks.py)
    path("anymail/", include("inbox.channels.email.urls")),
    path("django-admin/", admin.site.urls),
]

handler403 = "lib.views.permission_denied"
handler404 = "lib.views.page_not_found"
