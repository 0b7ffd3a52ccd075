from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Installed so that Django finds the seed_demo command; demo has no models."""

    name = "demo"
    verbose_name = "Demo data"
