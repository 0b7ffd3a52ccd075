from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running Switchboard: operator commands, Settings → System and read-only Django admin
    pages. The last app of the chain: it may import every other, none imports it."""

    name = "operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from accounts.settings_sections import Section, is_admin, register_settings_section

        register_settings_section(
            Section(
                _("Administration"),
                _("System"),
                "operations:system",
                "settings",
                is_admin,
                ("system",),
            )
        )
