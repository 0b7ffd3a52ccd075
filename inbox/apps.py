from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        # Inbound e-mail: a receiver of django-anymail's `inbound` signal.
        # contacts cannot import the inbox; the inbox adds its part to erasure and export.
        from contacts import erasure, exports
        from inbox import email_inbound  # noqa: F401
        from inbox.erasure import erase_conversations
        from inbox.exports import conversations_section

        if erase_conversations not in erasure.HOOKS:
            erasure.HOOKS.append(erase_conversations)
        if conversations_section not in exports.SECTIONS:
            exports.SECTIONS.append(conversations_section)

        from accounts.settings_sections import Section, register
        from inbox.access import manages_any_inbox

        register(
            Section(
                _("Inboxes"),
                _("Inboxes"),
                "inbox_settings:inboxes",
                "inbox",
                manages_any_inbox,
                ("inboxes", "inbox_detail", "inbox_add"),
            )
        )

        # The contact panel's Cases and Messages tabs show conversations.
        from contacts.panel import register_tab
        from inbox.panel_tabs import cases_tab, messages_tab

        register_tab("cases", cases_tab, "contacts/_tab_cases.html")
        register_tab("messages", messages_tab, "contacts/_tab_messages.html")

        # "Send message" on the contact card: the contacts app shows what the inbox registers.
        from contacts.panel import register_action
        from inbox.contact_send_views import contact_send_action

        register_action(
            "contact_send", contact_send_action, "inbox/contact_send.html#contact-send-action"
        )
