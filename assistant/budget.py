"""The organisation's monthly token budget (Organisation.assistant_monthly_tokens): the
tokens of this calendar month's requests (assistant.models.AssistantRequest) against it.

A request is refused before it is made once the month's tokens reach the budget. A request in
flight has not reported its tokens yet, so it holds a reservation (RESERVED_TOKENS, about what
one costs at most) until it finishes: two requests started at once near the end of the budget
cannot both go through (assistant.actions.start_request checks while holding the
organisation's row). A running one may still take the month a little past, never a second
one."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from accounts.models import Organisation
from assistant.models import IN_FLIGHT, AssistantRequest, Feature

# What a request may cost at most, roughly: its prompt and the longest answer it asks for
# (a draft with its repair round twice).
RESERVED_TOKENS = {
    Feature.CAMPAIGN_DRAFT: 4000,
    Feature.REWRITE: 2500,
    Feature.SUMMARY: 4000,
}


@dataclass(frozen=True)
class Usage:
    used: int
    budget: int
    requests: int
    reserved: int = 0  # held by requests still in flight

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.used)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.budget

    @property
    def held_up(self) -> bool:
        """Not used up, but what is in flight may use the rest."""
        return not self.exhausted and self.used + self.reserved >= self.budget

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.budget)) if self.budget else 100


def usage_this_month(organisation: Organisation | None = None) -> Usage:
    """One query over this month's rows of the organisation (and one for the organisation
    when it is not given)."""
    from assistant.actions import running_for_at_most

    organisation = organisation or Organisation.load()
    in_flight = Q(
        outcome__in=IN_FLIGHT,
        created_at__gte=timezone.now() - timedelta(seconds=running_for_at_most()),
    )
    rows = AssistantRequest.objects.this_month(organisation.pk).aggregate(
        prompt=Sum("prompt_tokens"),
        completion=Sum("completion_tokens"),
        requests=Count("pk"),
        reserved=Sum(
            Case(
                *(When(feature=f, then=Value(n)) for f, n in RESERVED_TOKENS.items()),
                default=Value(0),
                output_field=IntegerField(),
            ),
            filter=in_flight,
        ),
    )
    return Usage(
        used=(rows["prompt"] or 0) + (rows["completion"] or 0),
        budget=organisation.assistant_monthly_tokens,
        requests=rows["requests"] or 0,
        reserved=rows["reserved"] or 0,
    )
