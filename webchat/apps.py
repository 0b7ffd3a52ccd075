from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebchatConfig(AppConfig):
    name = "webchat"
    verbose_name = _("Web chat")

    def ready(self) -> None:
        # The web chat's part in what earlier apps do, through their registries (they cannot
        # import webchat, DESIGN.md §3).
        from contacts.erasure import register_erasure_hook
        from contacts.exports import register_export_section
        from inbox.channels.web import register_email_fallback
        from inbox.settings_links import register_inbox_settings_link
        from webchat.actions.visitors import email_if_gone
        from webchat.erasure import erase_visitors, visitors_section
        from webchat.settings_views import inbox_settings_link

        # A contact's visitors leave with them and are in their export.
        register_erasure_hook(erase_visitors)
        register_export_section(visitors_section)
        # A reply to a visitor who left and gave an e-mail address goes by e-mail.
        register_email_fallback(email_if_gone)
        # Settings → Inboxes → an inbox: "Web chat", beside the campaign settings.
        register_inbox_settings_link("webchat", inbox_settings_link)
