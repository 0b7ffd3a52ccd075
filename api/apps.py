from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from accounts.settings_sections import Section, is_admin, register_settings_section

        register_settings_section(
            Section(
                _("Integrations"),
                _("API"),
                "api_settings:tokens",
                "key",
                is_admin,
                ("tokens", "token_new", "token_revoke"),
            )
        )
