from django.apps import AppConfig


class LibConfig(AppConfig):
    """Installed so that Django finds lib/templatetags; lib has no models."""

    name = "lib"
    verbose_name = "Library"

    def ready(self) -> None:
        # The request and task log lines' shape (django-structlog's signals).
        from lib import request_logs

        request_logs.connect()
