from django.apps import AppConfig


class LibConfig(AppConfig):
    """Installed only so that Django finds lib/templatetags; lib has no models."""

    name = "lib"
    verbose_name = "Library"
