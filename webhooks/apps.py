from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The webhooks app's part in what earlier apps do, through their registries (they
        # cannot import it, DESIGN.md §3).
        from accounts.settings_sections import Section, register_settings_section
        from contacts.erasure import register_erasure_hook
        from lib.events import register_sink
        from webhooks.access import is_webhook_admin
        from webhooks.outbox import write_event, write_events
        from webhooks.retention import forget_contact

        # Every lib.events.emit of the earlier apps writes the outbox rows in its transaction.
        register_sink(write_event, many=write_events)
        # Erasing a contact empties the personal part of the events about them.
        register_erasure_hook(forget_contact)
        register_settings_section(
            Section(
                _("Integrations"),
                _("Webhooks"),
                "webhook_settings:endpoints",
                "globe",
                is_webhook_admin,
                (
                    "endpoints",
                    "endpoint_add",
                    "endpoint",
                    "endpoint_edit",
                    "endpoint_rotate",
                    "endpoint_delete",
                    "endpoint_verify",
                ),
            )
        )
