"""Each token's request budget, counted atomically in Redis by `limits` (in memory without
REDIS_URL), with the RateLimit-* headers of every answer (IETF draft: limit, remaining, and
seconds until the window resets)."""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from limits import RateLimitItemPerMinute

from lib.ratelimit import limiter

logger = logging.getLogger("switchboard.api")


@dataclass(frozen=True)
class Budget:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        values = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            values["Retry-After"] = str(max(1, self.reset_seconds))
        return values


def spend(token_id: int, per_minute: int) -> Budget:
    """Count one request of the token; `allowed` False when it is over its limit. Storage
    that does not answer lets the request through (logged), like every limit here."""
    item = RateLimitItemPerMinute(per_minute)
    keys = (getattr(settings, "RATE_LIMIT_NAMESPACE", "") or "switchboard", "api", str(token_id))
    try:
        allowed = bool(limiter().hit(item, *keys))
        reset, remaining = limiter().get_window_stats(item, *keys)
    except Exception:
        logger.warning("API rate limit unavailable", exc_info=True)
        return Budget(True, per_minute, per_minute, 60)
    return Budget(
        allowed=allowed,
        limit=per_minute,
        remaining=max(0, int(remaining)),
        reset_seconds=max(0, round(reset - time.time())),
    )
