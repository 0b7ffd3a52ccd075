from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        # The campaigns' part in what the inbox does, through its registry (the inbox cannot
        # import campaigns, DESIGN.md §3): a STOP, START or HELP answered to any inbox is
        # acted on in the transaction that stores it.
        from campaigns.inbound import on_inbound
        from inbox.hooks import register_inbound

        register_inbound(on_inbound)
