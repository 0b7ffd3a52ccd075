from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneyConfig(AppConfig):
    name = "journey"
    verbose_name = _("Journey")

    def ready(self) -> None:
        # The journey's part in what earlier apps show and do, through their registries
        # (they cannot import the journey, DESIGN.md §3).
        from accounts.settings_sections import Section, is_admin, register_settings_section
        from api.api import api
        from contacts.erasure import register_erasure_hook
        from contacts.exports import register_export_section
        from contacts.panel import register_panel_tab
        from journey import api as journey_api
        from journey.erasure import erase_journey, journey_section
        from journey.panel import journey_tab

        # A contact's page views leave with them, or with their anonymisation, and are in
        # their export.
        register_erasure_hook(erase_journey)
        register_export_section(journey_section)
        # The contact panel's Journey tab, before "More".
        register_panel_tab(
            "journey", journey_tab, "journey/_panel_tab_journey.html", label=_("Journey")
        )
        # POST /api/v1/journey/page-views: the server consent mode (journey.server).
        api.add_router("/v1/journey", journey_api.router, tags=["journey"])
        # Settings → Journey: how long page views are kept (admins).
        register_settings_section(
            Section(
                _("Agent workspace"),
                _("Journey"),
                "journey_settings:journey",
                "globe",
                is_admin,
                ("journey",),
            )
        )
