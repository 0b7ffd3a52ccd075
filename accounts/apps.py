from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts.permissions import connect_grant_signals
        from accounts.settings_sections import Section, is_admin, register_settings_section

        connect_grant_signals()

        register_settings_section(
            Section(
                _("Account"),
                _("Organisation"),
                "settings:organisation",
                "building",
                is_admin,
                ("organisation",),
            )
        )
        register_settings_section(
            Section(
                _("Account"),
                _("Users"),
                "settings:users",
                "users",
                is_admin,
                ("users", "user_invite", "user_detail"),
            )
        )
