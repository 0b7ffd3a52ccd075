from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        from accounts.settings_sections import Section, is_admin, register

        register(
            Section(
                _("Agent workspace"),
                _("Contact attributes"),
                "contact_settings:attributes",
                "contacts",
                is_admin,
                ("attributes", "attribute_add", "attribute_edit"),
            )
        )
        register(
            Section(
                _("Privacy & security"),
                _("Deleted contacts"),
                "contact_settings:deleted_contacts",
                "alert",
                is_admin,
                ("deleted_contacts",),
            )
        )
