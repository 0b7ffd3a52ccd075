from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistantConfig(AppConfig):
    name = "assistant"
    verbose_name = _("Message assistant")

    def ready(self) -> None:
        # The assistant's buttons in the reply box and the campaign editor, through their
        # registries (the inbox and campaigns cannot import the assistant, DESIGN.md §3).
        from accounts.settings_sections import Section, is_admin, register_settings_section
        from assistant.views import composer_tool, editor_tool
        from campaigns.editor_tools import register_editor_tool
        from inbox.composer_tools import register_composer_tool

        register_composer_tool("assistant", composer_tool)
        register_editor_tool("assistant", editor_tool)
        register_settings_section(
            Section(
                _("Account"),
                _("Message assistant"),
                "assistant_settings:overview",
                "chat",
                is_admin,
                ("overview",),
            )
        )
