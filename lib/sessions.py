"""Sessions read from the cache, written through to the database (Django's cached_db), so a
request costs no session query while the cache answers — and still works when it does not:
with Redis down, sessions come from the database and nobody is logged out."""

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)  # type: ignore[attr-defined]
        except Exception:
            logger.warning("Session cache unavailable; reading the session from the database")
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()  # type: ignore[attr-defined]
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(  # type: ignore[attr-defined]
                self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date)
            )
        except Exception:
            logger.warning("Session cache unavailable; the session was not cached")
        return data

    def exists(self, session_key: str) -> bool:
        try:
            return bool(super().exists(session_key))
        except Exception:
            return bool(session_key) and super(cached_db.SessionStore, self).exists(session_key)

    def delete(self, session_key: str | None = None) -> None:
        # The database row goes first (what counts); a cache that is down keeps its copy
        # only until it expires or is flushed.
        try:
            super().delete(session_key)
        except Exception:
            logger.warning("Session cache unavailable; the session was deleted from the database")
