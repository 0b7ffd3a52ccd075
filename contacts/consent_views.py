"""The contact card's consent and opt-out forms (the Identities tab's "Campaigns and
consent"): plain POSTs that come back to the panel, with the form's errors when it has any."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from contacts.access import access_identity
from contacts.consent import CHANNEL_OF_KIND, PURPOSE_OF_CHANNEL, OptOutAction, OptOutSource
from contacts.consent_actions import record_consent, record_opt_in, record_opt_out
from contacts.consent_forms import ConsentForm, OptOutForm
from contacts.models import Identity
from contacts.panel import panel_context
from contacts.views import _back_to_panel
from lib.errors import ActionRefused
from lib.htmx import render_page


def _channel(identity: Identity) -> str:
    channel = CHANNEL_OF_KIND.get(identity.kind)
    if channel is None:  # an external id or a handle: no campaign reaches it
        raise Http404
    return channel


@require_POST
def identity_consent(request: AuthenticatedRequest, identity_id: int) -> HttpResponse:
    identity = access_identity(request.user, identity_id, right="edit")
    channel = _channel(identity)
    form = ConsentForm(request.POST, auto_id=f"consent-{identity.pk}-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_consent(
                identity,
                purpose=PURPOSE_OF_CHANNEL[channel],
                state=data["state"],
                basis=data["basis"],
                source=data["source"],
                evidence=data["evidence"],
                reason=data["reason"],
                at=data["at"],
                actor=request.user,
            )
        except ValidationError as invalid:
            for key, errors in invalid.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(request, _("The consent is recorded."))
            return _back_to_panel(request, identity.contact, "identities")
    return _again(request, identity, consent_form=form)


@require_POST
def identity_opt_out(request: AuthenticatedRequest, identity_id: int) -> HttpResponse:
    identity = access_identity(request.user, identity_id, right="edit")
    channel = _channel(identity)
    form = OptOutForm(request.POST, auto_id=f"opt-out-{identity.pk}-%s")
    if form.is_valid():
        opting_out = form.cleaned_data["action"] == OptOutAction.OPT_OUT
        record = record_opt_out if opting_out else record_opt_in
        try:
            record(
                identity,
                channel=channel,
                source=OptOutSource.AGENT,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as invalid:
            for key, errors in invalid.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            done = (
                _("Recorded: no more campaign messages to %(address)s.")
                if opting_out
                else _("%(address)s receives campaign messages again.")
            )
            messages.success(request, done % {"address": identity.display_value})
            return _back_to_panel(request, identity.contact, "identities")
    return _again(request, identity, opt_out_form=form)


def _again(request: AuthenticatedRequest, identity: Identity, **forms: object) -> HttpResponse:
    """The panel with the form that was sent, and its errors (422)."""
    context = panel_context(
        request.user, identity.contact, "identities", consent_identity_id=identity.pk, **forms
    )
    return render_page(
        request, "contacts/detail.html", context, fragment="contact-panel", status=422
    )
