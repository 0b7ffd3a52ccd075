"""The public survey page behind an invitation's signed link — no log-in, in the customer's
language, mobile-first.

GET shows the question (pre-filled when the link carries a score: the buttons of an e-mail
invitation) and changes nothing — mail scanners and link previews fetch links. Only POST
records the answer (surveys.actions.responses), then redirects to the same page, which
thanks the customer and shows their answer. A tampered or unknown token is a 404 page."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from accounts.models import Organisation
from surveys import texts
from surveys.actions.responses import record_answer
from surveys.forms import AnswerForm
from surveys.links import invitation_id_for
from surveys.models import InvitationStatus, ResponseSource, SurveyInvitation, SurveyResponse

PAGE = "surveys/answer.html"


@login_not_required
def answer(request: HttpRequest, token: str, score: int | None = None) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    invitation_id = invitation_id_for(token)
    invitation = (
        SurveyInvitation.objects.select_related("survey__inbox")
        .filter(pk=invitation_id, status=InvitationStatus.SENT)
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
        low_label, high_label = texts.scale_labels(survey, language)
        context = {
            "survey": survey,
            "form": form,
            "token": token,
            "language": language,
            "question": texts.question(survey, language, company=Organisation.load().name),
            "follow_up": texts.follow_up(survey, language),
            "low_label": low_label,
            "high_label": high_label,
            "response": response,
            "can_change": response is None or response.can_change(),
            "outcome": outcome
            if outcome in ("recorded", "changed", "unchanged", "too_late")
            else "",
            "chosen": form["score"].value(),
            "company": Organisation.load().name,
        }
        return render(request, PAGE, context, status=status)
