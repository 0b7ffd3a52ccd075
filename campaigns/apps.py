from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        # The campaigns' part in what the inbox does, through its registry (the inbox cannot
        # import campaigns, DESIGN.md §3): a STOP, START or HELP answered to any inbox is
        # acted on in the transaction that stores it.
        from campaigns.inbound import on_inbound, on_inbounds
        from campaigns.replies import on_replies, on_reply
        from campaigns.template_views import composer_tool
        from inbox.composer_tools import register_composer_tool
        from inbox.hooks import register_inbound

        register_composer_tool("templates", composer_tool)
        # first: the campaign message appears above the answer
        register_inbound(on_reply, many=on_replies)
        register_inbound(on_inbound, many=on_inbounds)
