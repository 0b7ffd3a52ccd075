"""Loaded by pytest (`-p config.pytest_plugin` in pyproject.toml) before pytest-django imports
the settings, so that a bare `pytest` works without configuration like `make test` does."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
