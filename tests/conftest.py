"""Fixtures shared by every test: personas, logged-in clients, a real Celery worker, Chromium.

Personas (DESIGN.md §9): Ada is the organisation admin, Max a manager, Alice an agent of
inbox A and Bob an agent of inbox B who must see nothing of A (inboxes arrive with the
shared-inbox issue; until then Alice and Bob are two agents).
"""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation

from accounts.models import Role, User
from config.celery import app as celery_app
from contacts.attributes import ensure_builtin_definitions
from tests.factories import OrganisationFactory, UserFactory

# The fake providers' fixtures: `fake_twilio` (a local Twilio REST API), `smtp_server`,
# `fake_openai` (a local OpenAI-compatible API for the message assistant) and
# `webhook_receiver` (a local endpoint for outbound webhooks).
pytest_plugins = [
    "tests.fakes.twilio_api",
    "tests.fakes.smtp",
    "tests.fakes.openai_api",
    "tests.fakes.webhook_receiver",
    "tests.assistant_world",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


# --- Environment --------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _collected_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Collect static files once, so templates render with the production (manifest) storage
    and a template naming a missing file fails here instead of in production."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
        # The live server serves /static/ through the finders, which know only the original
        # names; pointing them at the collected files lets them find the hashed names too.
        with override_settings(STATICFILES_DIRS=[root]):
            yield
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts and ends in the default language: a request through LocaleMiddleware
    leaves its language active in the thread, which would make later tests Swedish."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_tests(settings) -> Iterator[None]:
    """Fast hashing, e-mail into mail.outbox, and tasks run in-process unless a test starts
    a real worker (the `celery_worker` fixture)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tests run the campaigns' pacing tick themselves (or a beat thread does).
    settings.CAMPAIGN_TICK_IN_REQUESTS = False
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings) -> None:
    """Every test counts log-ins, searches and reports from zero (lib.ratelimit): the
    counters live in Redis, or in this process's memory, for minutes."""
    settings.RATE_LIMIT_NAMESPACE = f"test-{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _flushable_comments(request) -> Iterator[None]:
    """Transactional tests end by emptying every table; comments are append-only in the
    database, so the flush runs with an erasure permit, like a contact deletion does."""
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import transaction

    from inbox.models import Comment, ErasurePermit

    # The comments go first, under a permit: the flush empties the tables in no fixed
    # order (a set of names), so a permit row left for it may be gone before the comments.
    with transaction.atomic():
        ErasurePermit.objects.create()
        Comment.objects.all().delete()
        ErasurePermit.objects.all().delete()


# --- Personas -----------------------------------------------------------------------------


@pytest.fixture
def organisation(db):
    # Transactional tests empty every table afterwards, rows from data migrations included.
    ensure_builtin_definitions()
    return OrganisationFactory()


@pytest.fixture
def ada(organisation):
    return UserFactory(email="ada@nordlicht.example", display_name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def max_manager(organisation):
    return UserFactory(email="max@nordlicht.example", display_name="Max Manager", role=Role.MANAGER)


@pytest.fixture
def alice(organisation):
    return UserFactory(email="alice@nordlicht.example", display_name="Alice Agent")


@pytest.fixture
def bob(organisation):
    return UserFactory(email="bob@nordlicht.example", display_name="Bob Other-Inbox")


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A test client logged in as the given persona."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


# --- Celery ------------------------------------------------------------------------------


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[object]:
    """A real Celery worker in a thread: over Redis when REDIS_URL is set (CI), otherwise
    over the in-memory transport. Tasks are published, consumed and acknowledged for real."""
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_always_eager = False
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"
        ) as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager = True


# --- Browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; never a downloaded browser.

    Skips when Chromium is missing, unless SWITCHBOARD_REQUIRE_BROWSER is set (CI), where a
    missing browser fails the run instead of hiding the browser tests.
    """
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("SWITCHBOARD_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # (fixtures, assertions) are ordinary synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """Open a fresh browser context (its own cookies) at the live server; several may be open.

    Console errors — CSP violations included — fail the test at teardown."""
    contexts = []
    errors: list[str] = []

    def make(*, locale: str = "en-GB", width: int = 1440, height: int = 900):
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": width, "height": height}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda msg: errors.append(msg.text) if _is_error(msg) else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"browser console errors: {errors}"


def _is_error(message) -> bool:
    # A 422 is how a form says "fix these fields", a 409 how the Identities tab says "this
    # address is taken: claim or share it"; Chromium logs both like a failed load.
    return message.type == "error" and not any(
        f"status of {status}" in message.text for status in (409, 422)
    )


@pytest.fixture
def screenshot(request) -> Callable[[object, str], Path]:
    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # caret="initial": hiding the caret makes Playwright leave `style=""` on every input,
        # which htmx 4 then copies onto swapped-in elements — a CSP error the app never causes.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take


@pytest.fixture(autouse=True)
def _own_cache(settings) -> None:
    """Each test gets a cache of its own (a fresh key prefix, also on Redis): what one test
    cached — sessions, stamps, the organisation, a user's inboxes — never leaks into the
    next, whose ids may be the same."""
    import uuid

    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    for config in caches.values():
        config["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches
