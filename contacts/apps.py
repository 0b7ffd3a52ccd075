from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        # contacts' own export sections and settings pages, through the registries later apps use.
        from accounts.settings_sections import Section, is_admin, register_settings_section
        from contacts.csv_import.models import may_import
        from contacts.exports import (
            identities_section,
            notes_section,
            profile_section,
            register_export_section,
        )

        for section in (profile_section, identities_section, notes_section):
            register_export_section(section)

        register_settings_section(
            Section(
                _("Agent workspace"),
                _("Contact attributes"),
                "contact_settings:attributes",
                "contacts",
                is_admin,
                ("attributes", "attribute_add", "attribute_edit"),
            )
        )
        register_settings_section(
            Section(
                _("Contacts"),
                _("Import"),
                "contact_settings:imports",
                "download",
                may_import,
                ("imports", "import_detail", "import_cancel"),
            )
        )
        register_settings_section(
            Section(
                _("Privacy & security"),
                _("Deleted contacts"),
                "contact_settings:deleted_contacts",
                "alert",
                is_admin,
                ("deleted_contacts",),
            )
        )
