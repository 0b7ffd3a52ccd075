from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # The surveys' part in what earlier apps do, through their registries (they cannot
        # import surveys, DESIGN.md §3).
        from campaigns.content import register_content_provider
        from contacts.erasure import register_erasure_hook
        from contacts.exports import register_export_section
        from inbox.composer_tools import register_composer_tool
        from inbox.hooks import register_intercept, register_status_change
        from inbox.settings_links import register_inbox_settings_link
        from surveys.actions.invitations import on_status_change
        from surveys.actions.responses import sms_intercept
        from surveys.campaign_content import PROVIDER
        from surveys.erasure import erase_survey_answers
        from surveys.exports import survey_answers_section
        from surveys.views import composer_tool, inbox_settings_link

        # Resolving a conversation may invite its customer; reopening cancels what is due.
        register_status_change(on_status_change)
        # A bare score answered by SMS within 24 hours is an answer, not a new conversation.
        register_intercept(sms_intercept)
        # "Survey" in the reply box, for inboxes with an active survey.
        register_composer_tool("surveys", composer_tool)
        # A contact's answers leave with them, lose their words when anonymised, and are in
        # their export.
        register_erasure_hook(erase_survey_answers)
        register_export_section(survey_answers_section)
        # Survey campaigns: the campaign type "survey", each recipient with their own link.
        register_content_provider(PROVIDER)
        # Settings → Inboxes → an inbox: its surveys, beside the campaign settings.
        register_inbox_settings_link("surveys", inbox_settings_link)
