"""Reading the environment for config/settings.py and its parts: a value that cannot be parsed
stops the process at start with a message that names the variable."""

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()


def read(name: str, cast: Any, default: Any) -> Any:
    """Read one variable, turning a parse error into a message that names it."""
    try:
        return cast(name, default=default)
    except (ValueError, ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"{name} is not valid: {exc}") from exc


TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def strict_bool(name: str, default: Any) -> Any:
    """environ's bool() reads any unknown word as False; a typo must not silently do that."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")
