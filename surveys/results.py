"""A survey's results for a period, and per agent — set-based: each figure is one aggregate
over the indexed responses or invitations, never a loop over rows.

- CSAT %: the share of answers of 4 or 5 (of 5);
- NPS: promoters (9-10) in % minus detractors (0-6) in %, from -100 to 100;
- CES: the average score (1-7; higher is easier);
- response rate: invitations sent in the period that have an answer, of those sent.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, DateField, Q
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from surveys.models import Survey, SurveyInvitation, SurveyKind, SurveyResponse

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}
DEFAULT_PERIOD = "30"
COMMENTS_SHOWN = 20
# The chart's bars: one per day up to a month, one per week up to a quarter, else one per
# month — so that a bar stays wide enough to see and to point at, also on a phone.
CHART_WIDTH = 600
CHART_HEIGHT = 160
DAILY_UP_TO = 31
WEEKLY_UP_TO = 92
# The top and the bottom of the chart's scale per kind (what a full and an empty bar mean).
SCALES: dict[str, tuple[str, str]] = {
    SurveyKind.CSAT: ("100 %", "0 %"),
    SurveyKind.NPS: ("100", "\N{MINUS SIGN}100"),
    SurveyKind.CES: ("7", "1"),
}


def _counts() -> dict[str, Any]:
    return {
        "answers": Count("id"),
        "satisfied": Count("id", filter=Q(score__gte=4)),
        "promoters": Count("id", filter=Q(score__gte=9)),
        "detractors": Count("id", filter=Q(score__lte=6)),
        "average": Avg("score"),
    }


def headline(kind: str, row: dict[str, Any]) -> float | None:
    """The survey's figure from one aggregate row (None without answers)."""
    answers = row.get("answers") or 0
    if not answers:
        return None
    if kind == SurveyKind.CSAT:
        return round(100 * row["satisfied"] / answers, 1)
    if kind == SurveyKind.NPS:
        return round(100 * (row["promoters"] - row["detractors"]) / answers, 1)
    return round(float(row["average"]), 2)


def rate(answered: int, sent: int) -> float | None:
    return round(100 * answered / sent, 1) if sent else None


@dataclass
class Results:
    survey: Survey
    since: datetime
    until: datetime
    answers: int = 0
    sent: int = 0
    answered: int = 0
    figure: float | None = None
    response_rate: float | None = None
    average: float | None = None
    agents: list[dict[str, Any]] = field(default_factory=list)
    distribution: list[dict[str, Any]] = field(default_factory=list)
    chart: list[dict[str, Any]] = field(default_factory=list)
    chart_unit: str = "day"
    scale: tuple[str, str] = ("", "")
    comments: list[SurveyResponse] = field(default_factory=list)


def period_bounds(period: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or timezone.now()
    return now - timedelta(days=PERIODS.get(period, PERIODS[DEFAULT_PERIOD])), now


def results_for(
    survey: Survey, *, since: datetime, until: datetime, agent_id: int | None = None
) -> Results:
    """Everything the results page shows, in six queries whatever the number of answers."""
    responses = SurveyResponse.objects.filter(
        survey=survey, answered_at__gte=since, answered_at__lt=until
    )
    invitations = SurveyInvitation.objects.filter(
        survey=survey, sent_at__gte=since, sent_at__lt=until
    )
    if agent_id is not None:
        responses = responses.filter(agent_id=agent_id)
        invitations = invitations.filter(agent_id=agent_id)
    found = Results(survey=survey, since=since, until=until)
    total = responses.aggregate(**_counts())
    found.answers = total["answers"]
    found.figure = headline(survey.kind, total)
    found.average = round(float(total["average"]), 2) if total["average"] is not None else None
    sent = invitations.aggregate(sent=Count("id"), answered=Count("response"))
    found.sent, found.answered = sent["sent"], sent["answered"]
    found.response_rate = rate(found.answered, found.sent)
    found.agents = _agents(survey, since, until)
    found.distribution = _distribution(survey, responses)
    found.chart_unit = chart_unit(since, until)
    found.chart = _chart(survey, responses, since, until, found.chart_unit)
    found.scale = SCALES[survey.kind]
    found.comments = list(
        responses.exclude(comment="")
        .select_related("agent", "invitation")
        .order_by("-answered_at", "-id")[:COMMENTS_SHOWN]
    )
    return found


def _agents(survey: Survey, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """One row per agent: answers, the figure, and their invitations' response rate (two
    GROUP BYs, joined here by agent)."""
    answered = (
        SurveyResponse.objects.filter(survey=survey, answered_at__gte=since, answered_at__lt=until)
        .values("agent_id", "agent__display_name")
        .annotate(**_counts())
        .order_by("agent__display_name", "agent_id")
    )
    sent = dict(
        SurveyInvitation.objects.filter(survey=survey, sent_at__gte=since, sent_at__lt=until)
        .values("agent_id")
        .annotate(sent=Count("id"), answered=Count("response"))
        .values_list("agent_id", "sent")
    )
    rows = []
    for row in answered:
        rows.append(
            {
                "agent_id": row["agent_id"],
                "name": row["agent__display_name"] or "",
                "answers": row["answers"],
                "figure": headline(survey.kind, row),
                "sent": sent.get(row["agent_id"], 0),
            }
        )
    for row in rows:
        row["bar"] = _bar_length(survey.kind, row["figure"])
    return rows


def _distribution(survey: Survey, responses: Any) -> list[dict[str, Any]]:
    counts = dict(responses.values("score").annotate(n=Count("id")).values_list("score", "n"))
    most = max(counts.values(), default=0)
    return [
        {
            "score": score,
            "count": counts.get(score, 0),
            "bar": round(100 * counts.get(score, 0) / most) if most else 0,
            "group": _group(survey.kind, score),
        }
        for score in survey.scores
    ]


def _group(kind: str, score: int) -> str:
    """The colour class of a score: good, neutral or bad for its kind."""
    if kind == SurveyKind.CSAT:
        return "good" if score >= 4 else "neutral" if score == 3 else "bad"
    if kind == SurveyKind.NPS:
        return "good" if score >= 9 else "neutral" if score >= 7 else "bad"
    return "good" if score >= 5 else "neutral" if score == 4 else "bad"


def _bar_length(kind: str, figure: float | None) -> int:
    """0-100: how far a figure fills its bar (NPS runs from -100)."""
    if figure is None:
        return 0
    if kind == SurveyKind.NPS:
        return round((figure + 100) / 2)
    if kind == SurveyKind.CES:
        return round(100 * (figure - 1) / 6)
    return round(figure)


def chart_unit(since: datetime, until: datetime) -> str:
    days = (timezone.localdate(until) - timezone.localdate(since)).days + 1
    return "day" if days <= DAILY_UP_TO else "week" if days <= WEEKLY_UP_TO else "month"


def _bucket_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _next_bucket(start: date, unit: str) -> date:
    if unit == "week":
        return start + timedelta(days=7)
    if unit == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def _bucket_label(start: date, unit: str) -> str:
    if unit == "week":
        return _("Week of %(date)s") % {"date": date_format(start, "SHORT_DATE_FORMAT")}
    if unit == "month":
        return date_format(start, "YEAR_MONTH_FORMAT")
    return date_format(start, "SHORT_DATE_FORMAT")


TRUNC = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}


def _chart(
    survey: Survey, responses: Any, since: datetime, until: datetime, unit: str = "day"
) -> list[dict[str, Any]]:
    """The figure per day, week or month of the period, as SVG bars (x, y, width, height in
    the chart's own units), from one GROUP BY over the buckets."""
    truncate = TRUNC[unit]
    rows = (
        responses.annotate(bucket=truncate("answered_at", output_field=DateField()))
        .values("bucket")
        .annotate(**_counts())
        .order_by("bucket")
    )
    by_bucket = {row["bucket"]: row for row in rows}
    first = _bucket_start(timezone.localdate(since), unit)
    last = timezone.localdate(until)
    starts = []
    start = first
    while start <= last:
        starts.append(start)
        start = _next_bucket(start, unit)
    width = CHART_WIDTH / max(len(starts), 1)
    bars = []
    for offset, start in enumerate(starts):
        row = by_bucket.get(start)
        figure = headline(survey.kind, row) if row else None
        height = round(CHART_HEIGHT * _bar_length(survey.kind, figure) / 100, 1)
        bars.append(
            {
                "day": start,
                "label": _bucket_label(start, unit),
                "figure": figure,
                "answers": row["answers"] if row else 0,
                "x": round(offset * width + width * 0.1, 2),
                "width": round(max(width * 0.8, 1), 2),
                "y": round(CHART_HEIGHT - height, 1),
                "height": height,
            }
        )
    return bars


def overview(surveys: list[Survey], since: datetime) -> dict[int, dict[str, Any]]:
    """The list's figure and answers per survey, in one GROUP BY."""
    rows = (
        SurveyResponse.objects.filter(survey__in=surveys, answered_at__gte=since)
        .values("survey_id")
        .annotate(**_counts())
    )
    kinds = {s.pk: s.kind for s in surveys}
    return {
        row["survey_id"]: {
            "answers": row["answers"],
            "figure": headline(kinds[row["survey_id"]], row),
        }
        for row in rows
    }
