"""Screenshots of the agent's main screens for a closing note or a review: the workspace (a
conversation open), the contact panel (also choosing among the contacts who share an
address), routing mode and the contacts pages, at 1280 and 390 px wide, in English and
German.

    .venv/bin/python scripts/screenshots.py [DIRECTORY]    (default var/screenshots/)

Everything runs here and is thrown away afterwards: a fresh SQLite database in a temporary
directory, migrated and filled by `seed_demo`, served by `manage.py runserver` (DEBUG on, so
static files are served) on a free port, photographed with Debian's Chromium
(/usr/bin/chromium) through Playwright as the demo agent Anna Schmidt. Files are named
NN-SCREEN-LANGUAGE-WIDTH.png in the order a reader goes through them, e.g.
01-workspace-de-390.png.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
AGENT, PASSWORD = "anna@nordlicht.example", "switchboard-demo"
SHARED_LANDLINE = "38612740"  # demo.contacts.DEMO_SHARED
LANGUAGES = {"en": "en-GB", "de": "de-DE"}
WIDTHS = {1280: 900, 390: 844}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", nargs="?", default=str(ROOT / "var" / "screenshots"))
    args = parser.parse_args()
    target = Path(args.directory)
    target.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing (apt-get install chromium)")
    with (
        tempfile.TemporaryDirectory(prefix="switchboard-shots-") as scratch,
        serving(Path(scratch)) as base_url,
    ):
        saved = photograph(base_url, target)
    for path in saved:
        print(path)
    print(f"{len(saved)} screenshots in {target}")
    return 0


@contextmanager
def serving(scratch: Path) -> Iterator[str]:
    """A demo database in `scratch` and a development server on it; yields its URL."""
    environment = {
        **os.environ,
        "DEBUG": "true",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "screenshots-only-not-a-secret"),
        "DATABASE_URL": f"sqlite:///{scratch / 'screenshots.sqlite3'}",
        "REDIS_URL": "",  # tasks in-process, rate limits in memory
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([*manage, *command], env=environment, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    port = free_port()
    log = (scratch / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base_url}/accounts/login/", server)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


class Camera:
    """Saves full-page screenshots of one page as SCREEN-SUFFIX.png in `target`."""

    def __init__(self, page: Page, target: Path, suffix: str) -> None:
        self.page, self.target, self.suffix = page, target, suffix
        self.saved: list[Path] = []

    def shot(self, screen: str) -> None:
        self.page.wait_for_load_state("load")
        path = self.target / f"{len(self.saved) + 1:02d}-{screen}-{self.suffix}.png"
        # caret="initial": hiding the caret leaves style="" on inputs (tests/conftest.py).
        self.page.screenshot(path=str(path), full_page=True, caret="initial")
        self.saved.append(path)


def photograph(base_url: str, target: Path) -> list[Path]:
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox", "--disable-gpu"]
        )
        for language, locale in LANGUAGES.items():
            for width, height in WIDTHS.items():
                context = browser.new_context(
                    base_url=base_url,
                    locale=locale,
                    viewport={"width": width, "height": height},
                    reduced_motion="reduce",
                )
                page = context.new_page()
                page.set_default_timeout(15_000)
                camera = Camera(page, target, f"{language}-{width}")
                log_in(page, language)
                screens(page, camera)
                saved += camera.saved
                context.close()
        browser.close()
    return saved


def log_in(page: Page, language: str) -> None:
    """Log in as the demo agent and switch the interface to `language` (user menu)."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(AGENT)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button.btn-primary[type=submit]").click()
    page.wait_for_url("**/inbox/")
    page.locator(".user-menu summary").click()
    page.locator(f".menu-languages button[value={language}]").click()
    page.wait_for_url("**/inbox/")


def screens(page: Page, camera: Camera) -> None:
    shot = camera.shot
    # The workspace with its newest conversation open, then its contact panel.
    page.locator("#conversation-rows > li a[href*='/inbox/c/']").first.click()
    page.wait_for_url("**/inbox/c/*/")
    page.locator("#thread-pane .thread-title").wait_for()
    shot("workspace")
    open_contact_panel(page)
    shot("contact-panel")
    # The Brandts' shared landline: the panel's "several matches" chooser.
    page.goto(f"/inbox/?q={SHARED_LANDLINE}")
    rows = page.locator("#conversation-rows > li a[href*='/inbox/c/']")
    if rows.count():
        rows.first.click()
        page.wait_for_url("**/inbox/c/*/**")
        page.locator("#thread-pane .thread-title").wait_for()
        open_contact_panel(page)
        shot("several-matches")
    # Routing mode: the next waiting conversation, in the same workspace.
    page.goto("/routing/")
    shot("routing")
    next_button = page.locator("form[action$='/routing/next/'] button[type=submit]")
    if next_button.count():
        next_button.first.click()
        page.wait_for_load_state("load")
        shot("routing-conversation")
    # The contacts list and one contact's page.
    page.goto("/contacts/")
    shot("contacts")
    page.locator("table a[href*='/contacts/']").first.click()
    page.wait_for_url("**/contacts/*/")
    shot("contact")


def open_contact_panel(page: Page) -> None:
    """Where the panel is folded away (≤ 1280 px), its toggle opens it."""
    panel = page.locator("#contact-panel-pane")
    toggle = page.locator("[data-panel-toggle][aria-expanded=false]:visible")
    if not panel.is_visible() and toggle.count():
        toggle.first.click()
    panel.wait_for()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("The development server stopped; see its log above.")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"The development server did not answer {url} within {seconds:.0f} s.")


if __name__ == "__main__":
    sys.exit(main())
