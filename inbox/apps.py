from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        # Inbound e-mail: inbox.channels.email.webhooks holds a receiver of django-anymail's
        # `inbound` signal.
        # The rest is the inbox's part in what earlier apps show and do, through their
        # registries (contacts cannot import the inbox).
        from accounts.settings_sections import Section, is_admin, register_settings_section
        from contacts.erasure import register_erasure_hook
        from contacts.exports import register_export_section
        from contacts.panel import register_panel_action, register_panel_tab
        from inbox.access import manages_any_inbox
        from inbox.channels.email import webhooks  # noqa: F401
        from inbox.contact_send_views import contact_send_action
        from inbox.erasure import erase_conversations
        from inbox.exports import conversations_section
        from inbox.metrics import OutboundCollector
        from inbox.panel_tabs import cases_tab, messages_tab
        from lib.metrics import register_scrape_collector

        # Deleting or anonymising a contact also clears its conversations' files and texts.
        register_erasure_hook(erase_conversations)
        # A contact's export includes the conversations the exporting user may see.
        register_export_section(conversations_section)
        # The contact panel's Cases and Messages tabs show conversations.
        register_panel_tab("cases", cases_tab, "inbox/_panel_tab_cases.html")
        register_panel_tab("messages", messages_tab, "inbox/_panel_tab_messages.html")
        # "Send message" on the contact card (contact_send).
        register_panel_action(
            "contact_send", contact_send_action, "inbox/contact_send.html#contact-send-action"
        )
        # /metrics: outbound messages by status (lib.metrics).
        register_scrape_collector(OutboundCollector())
        register_settings_section(
            Section(
                _("Inboxes"),
                _("Inboxes"),
                "inbox_settings:inboxes",
                "inbox",
                manages_any_inbox,
                # The inbox's campaign settings (campaign_settings:inbox_campaigns) and web
                # chat (webchat_settings:inbox_web_chat) too.
                ("inboxes", "inbox_detail", "inbox_add", "inbox_campaigns", "inbox_web_chat"),
            )
        )
        # Labels are the organisation's, as in Zendesk and Front (inbox.models.labels).
        register_settings_section(
            Section(
                _("Agent workspace"),
                _("Labels"),
                "inbox_settings:labels",
                "check",
                is_admin,
                ("labels", "label_edit"),
            )
        )
