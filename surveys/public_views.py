"""The public survey page behind an invitation's signed link — no log-in, in the customer's
language, mobile-first.

GET shows the question (pre-filled when the link carries a score: the buttons of an e-mail
invitation) and changes nothing — mail scanners and link previews fetch links. Only POST
records the answer (surveys.actions.responses), then redirects to the same page, which
thanks the customer and shows their answer. A tampered or unknown token is a 404 page.

A survey campaign's preview and test send link to the survey's preview page (surveys.links):
the same page, marked as a preview, which records nothing."""

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from accounts.models import Organisation
from campaigns.models import RecipientStatus
from surveys import texts
from surveys.actions.responses import record_answer
from surveys.forms import AnswerForm
from surveys.links import invitation_id_for, preview_survey_id_for
from surveys.models import (
    InvitationStatus,
    ResponseSource,
    Survey,
    SurveyInvitation,
    SurveyResponse,
)

PAGE = "surveys/answer.html"
# A survey campaign's invitation is `sent` with its row; while the row is being sent, or
# when the provider's answer was lost (unknown: it may well have arrived), the customer may
# already hold the link, so it works then too.
MAY_HAVE_ARRIVED = Q(status=InvitationStatus.SENT) | Q(
    status=InvitationStatus.SCHEDULED,
    campaign_recipient__status__in=[RecipientStatus.SENDING, RecipientStatus.UNKNOWN],
)


@login_not_required
def answer(request: HttpRequest, token: str, score: int | None = None) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    preview_id = preview_survey_id_for(token)
    if preview_id is not None:
        return _preview(request, preview_id, token, score)
    invitation_id = invitation_id_for(token)
    invitation = (
        SurveyInvitation.objects.select_related("survey__inbox")
        .filter(MAY_HAVE_ARRIVED, pk=invitation_id)
        .first()
        if invitation_id
        else None
    )
    if invitation is None:
        return render(request, PAGE, {"invalid": True}, status=404)
    survey = invitation.survey
    language = invitation.language
    with translation.override(language):
        response = SurveyResponse.objects.filter(invitation=invitation).first()
        initial = {}
        if response is not None:
            initial = {"score": response.score, "comment": response.comment}
        if score is not None and survey.is_valid_score(score):
            initial["score"] = score
        form = AnswerForm(
            request.POST if request.method == "POST" else None, survey=survey, initial=initial
        )
        outcome = request.GET.get("saved", "")
        status = 200
        if request.method == "POST":
            if form.is_valid():
                result = record_answer(
                    invitation,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data.get("comment", ""),
                    source=ResponseSource.WEB,
                )
                url = reverse("survey_answer:answer", args=[token])
                return HttpResponseRedirect(f"{url}?saved={result.status}")
            status = 422
        context = _page(survey, language, form, token)
        context.update(
            response=response,
            can_change=response is None or response.can_change(),
            outcome=outcome if outcome in ("recorded", "changed", "unchanged", "too_late") else "",
        )
        return render(request, PAGE, context, status=status)


def _page(survey: Survey, language: str, form: AnswerForm, token: str) -> dict[str, Any]:
    """What the page shows of the survey, in `language`."""
    low_label, high_label = texts.scale_labels(survey, language)
    company = Organisation.load().name
    return {
        "survey": survey,
        "form": form,
        "token": token,
        "language": language,
        "question": texts.question(survey, language, company=company),
        "follow_up": texts.follow_up(survey, language),
        "low_label": low_label,
        "high_label": high_label,
        "response": None,
        "can_change": True,
        "outcome": "",
        "chosen": form["score"].value(),
        "company": company,
    }


def _preview(request: HttpRequest, survey_id: int, token: str, score: int | None) -> HttpResponse:
    """The survey as its customers will see it, in the visitor's language (a manager's test
    message), marked as a preview; a POST is checked like an answer and recorded nowhere."""
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return render(request, PAGE, {"invalid": True}, status=404)
    language = texts.language_for(translation.get_language())
    with translation.override(language):
        initial = {"score": score} if score is not None and survey.is_valid_score(score) else {}
        form = AnswerForm(
            request.POST if request.method == "POST" else None, survey=survey, initial=initial
        )
        answered = request.method == "POST" and form.is_valid()
        context = {**_page(survey, language, form, token), "preview": True, "answered": answered}
        status = 422 if request.method == "POST" and not answered else 200
        return render(request, PAGE, context, status=status)
