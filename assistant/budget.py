"""The organisation's monthly token budget (Organisation.assistant_monthly_tokens): the
tokens of this calendar month's requests (assistant.models.AssistantRequest) against it.
A request is refused before it is made once the month's tokens reach the budget; one that
is running may take it a little past, never a second one."""

from dataclasses import dataclass

from django.db.models import Sum

from accounts.models import Organisation
from assistant.models import AssistantRequest


@dataclass(frozen=True)
class Usage:
    used: int
    budget: int
    requests: int

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.used)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.budget

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.budget)) if self.budget else 100


def usage_this_month() -> Usage:
    rows = AssistantRequest.objects.this_month().aggregate(
        prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens")
    )
    count = AssistantRequest.objects.this_month().count()
    used = (rows["prompt"] or 0) + (rows["completion"] or 0)
    return Usage(used=used, budget=Organisation.load().assistant_monthly_tokens, requests=count)
