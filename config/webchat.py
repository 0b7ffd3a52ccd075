"""The web chat's settings (config/settings.py reads them; README "Web chat")."""

from django.core.exceptions import ImproperlyConfigured
from limits import parse

from config.env import env, read

# Requests a visitor's widget may make (a poll a second, what they write, sign-ins), per
# visitor token, in the `limits` notation of the other rate limits.
WEBCHAT_RATE_LIMIT = read("WEBCHAT_RATE_LIMIT", env.str, "240/minute")
try:
    parse(WEBCHAT_RATE_LIMIT)
except ValueError as exc:
    raise ImproperlyConfigured(
        f"WEBCHAT_RATE_LIMIT must be a rate such as 240/minute, got {WEBCHAT_RATE_LIMIT!r}."
    ) from exc
# Seconds a visitor's newest message waits unanswered before the widget shows the away
# message and asks for an e-mail address.
WEBCHAT_AWAY_AFTER = read("WEBCHAT_AWAY_AFTER", env.int, 120)
if not 10 <= WEBCHAT_AWAY_AFTER <= 86400:
    raise ImproperlyConfigured(
        f"WEBCHAT_AWAY_AFTER must be 10 to 86400 seconds, got {WEBCHAT_AWAY_AFTER}."
    )
