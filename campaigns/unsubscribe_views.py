"""The unsubscribe link of campaign e-mails (RFC 8058), and their tracked links (campaigns.clicks).

GET shows a page with one button and changes nothing — mail scanners and link previews
fetch links. POST unsubscribes: the mail client's one-click `List-Unsubscribe-Post` (no log-in,
no CSRF token: the signed token is the authority) or the page's button. Doing it twice is
harmless: the second POST finds the identity opted out already."""

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from campaigns.clicks import read
from campaigns.models import CampaignRecipient
from campaigns.unsubscribe import recipient_id_for
from contacts.consent import OptOut, OptOutSource
from contacts.consent_actions import record_opt_out


@login_not_required
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    recipient_id = recipient_id_for(token)
    recipient = (
        CampaignRecipient.objects.select_related("campaign__inbox", "identity")
        .filter(pk=recipient_id)
        .first()
        if recipient_id
        else None
    )
    if recipient is None or recipient.identity is None:
        return render(request, "campaigns/unsubscribe.html", {"invalid": True}, status=404)
    campaign = recipient.campaign
    channel = campaign.channel
    done = OptOut.objects.is_opted_out(recipient.identity_id, channel)  # type: ignore[arg-type]
    if request.method == "POST" and not done:
        with transaction.atomic():
            record_opt_out(
                recipient.identity,
                channel=channel,
                source=OptOutSource.UNSUBSCRIBE_LINK,
                campaign_id=campaign.pk,
            )
            CampaignRecipient.objects.filter(pk=recipient.pk, opted_out_at__isnull=True).update(
                opted_out_at=timezone.now()
            )
        done = True
    elif request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    return render(
        request,
        "campaigns/unsubscribe.html",
        {"inbox_name": campaign.inbox.name, "done": done, "token": token},
    )


@login_not_required
def click(request: HttpRequest, token: str) -> HttpResponse:
    """A link of a campaign e-mail: the recipient clicked (the first time counts), then on."""
    found = read(token)
    if found is None:
        return render(request, "campaigns/unsubscribe.html", {"invalid": True}, status=404)
    recipient_id, url = found
    CampaignRecipient.objects.filter(pk=recipient_id, clicked_at__isnull=True).update(
        clicked_at=timezone.now()
    )
    return HttpResponseRedirect(url)
