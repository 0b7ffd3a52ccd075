"""The journey in real Chromium: a visitor browses three pages of a host site on another
local port that embeds the widget (journey consent mode, the host passes consent), opens the
chat and writes; Alice sees the conversation, and in its Journey tab the three pages and
"Now on …" — in English at 1280 px and in German at 390 px. No console or CSP errors.

Chromium denies the chat frame (a third-party frame on the host site) its storage here, so
each page is a new widget visitor: the recorder's key in the host site's storage keeps the
three pages one visit."""

import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inbox.models import Conversation
from journey.models import JourneySession, PageView
from tests.browser.pages import log_in
from tests.factories import PASSWORD, inbox_with
from tests.fakes.smtp import free_port
from webchat.models import WebWidget

pytestmark = [pytest.mark.browser]

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead collects the screenshots
PAGES = {
    "index.html": "Nordlicht Shop",
    "schuhe.html": "Wanderschuhe Fjell",
    "hilfe.html": "Hilfe und Versand",
}
# The host site's own page: its inline script is the host's, not ours (our CSP covers only
# our pages); it queues the consent its consent manager gave before the loader arrives.
CONSENT = """<script>window.Switchboard = window.Switchboard || function () {
  (window.Switchboard.q = window.Switchboard.q || []).push(arguments); };
Switchboard('consent', true);</script>"""
TEMPLATE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,"></head>
<body><h1>{title}</h1>
<nav><a href="index.html">Start</a> <a href="schuhe.html?session=4711&amp;farbe=rot">Schuhe</a>
<a href="hilfe.html#versand">Hilfe</a></nav>
{consent}
<script src="{base}/w/{public_id}.js" async></script>
</body></html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def host_site(tmp_path):
    """A static host site on its own port (another origin than the live server)."""
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(QuietHandler, directory=tmp_path))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def shop(host_site, live_server, settings, transactional_db, alice):
    folder, origin = host_site
    settings.PUBLIC_BASE_URL = live_server.url
    inbox = inbox_with("Webshop", members=[alice])
    widget = WebWidget.objects.create(
        inbox=inbox, enabled=True, allowed_origins=origin, consent_mode="journey"
    )
    for name, title in PAGES.items():
        write_page(folder, name, title, base=live_server.url, widget=widget, consent=CONSENT)
    return widget, origin


def write_page(folder, name, title, *, base, widget, consent):
    page = TEMPLATE.format(title=title, base=base, public_id=widget.public_id, consent=consent)
    (folder / name).write_text(page, encoding="utf-8")


def wait_for_views(count, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if PageView.objects.count() >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{PageView.objects.count()} page views, expected {count}")


@pytest.mark.parametrize("locale, language, width", [("en-GB", "en", 1280), ("de-DE", "de", 390)])
def test_the_agent_sees_the_visitors_three_pages_and_where_they_are_now(
    shop, alice, new_page, screenshot, locale, language, width
):
    widget, origin = shop
    alice.language = language
    alice.save()
    # The visitor on a desktop; the agent reads the tab at the width of the case.
    visitor = new_page(locale=locale, width=1280, height=860)
    visitor.goto(f"{origin}/index.html?utm_source=newsletter&utm_campaign=herbst&email=jana")
    expect(visitor.locator("[data-switchboard-launcher]")).to_be_visible()
    wait_for_views(1)
    visitor.get_by_role("link", name="Schuhe").click()
    expect(visitor.locator("h1")).to_have_text("Wanderschuhe Fjell")
    wait_for_views(2)
    visitor.get_by_role("link", name="Hilfe").click()
    expect(visitor.locator("h1")).to_have_text("Hilfe und Versand")
    wait_for_views(3)

    visitor.locator("[data-switchboard-launcher]").click()
    chat = visitor.frame_locator("[data-switchboard-frame]")
    chat.locator("#wc-body").fill("Passen die Fjell-Schuhe auch bei breiten Füßen?")
    chat.locator("#wc-form button[type=submit]").click()
    expect(chat.locator("#wc-thread")).to_contain_text("breiten Füßen")

    conversation = Conversation.objects.get(inbox=widget.inbox)
    urls = list(PageView.objects.order_by("at").values_list("url", flat=True))
    assert urls == [
        f"{origin}/index.html?utm_source=newsletter&utm_campaign=herbst",
        f"{origin}/schuhe.html",
        f"{origin}/hilfe.html",
    ]
    assert JourneySession.objects.get().ip_network == "127.0.0.0"

    agent = new_page(locale=locale, width=width, height=900)
    log_in(agent, alice.email, PASSWORD, button="Log in" if language == "en" else "Anmelden")
    agent.goto(f"/inbox/c/{conversation.pk}/")
    expect(agent.locator("#thread-pane")).to_contain_text("breiten Füßen")
    agent.goto(f"/contacts/{conversation.contact_id}/?tab=journey")
    trail = agent.locator("#journey-trail")
    for title in PAGES.values():
        expect(trail).to_contain_text(title)
    expect(trail.locator(".journey-now")).to_contain_text("Hilfe und Versand")
    expect(trail.locator(".journey-step-chat")).to_contain_text("Hilfe und Versand")
    expect(trail).to_contain_text("From newsletter" if language == "en" else "Über newsletter")
    expect(trail).to_contain_text(f"#{conversation.number}")
    SHOTS.mkdir(exist_ok=True)
    agent.screenshot(path=str(SHOTS / f"journey-tab-{language}-{width}.png"), full_page=True)
    screenshot(agent, f"journey-tab-{language}-{width}")
    # No page of the tab spills sideways on a phone.
    assert agent.evaluate("document.documentElement.scrollWidth") <= width


def test_in_chat_only_mode_nothing_is_recorded_before_the_chat_opens(
    shop, host_site, live_server, new_page
):
    widget, origin = shop
    widget.consent_mode = "chat_only"
    widget.save()
    # A site whose consent manager says nothing (chat_only needs none).
    for name, title in PAGES.items():
        write_page(host_site[0], name, title, base=live_server.url, widget=widget, consent="")
    visitor = new_page(width=1280, height=860)
    visitor.goto(f"{origin}/index.html")
    expect(visitor.locator("[data-switchboard-launcher]")).to_be_visible()
    visitor.wait_for_timeout(3000)
    assert not PageView.objects.exists()

    visitor.locator("[data-switchboard-launcher]").click()
    wait_for_views(1)
    visitor.get_by_role("link", name="Schuhe").click()
    expect(visitor.locator("h1")).to_have_text("Wanderschuhe Fjell")
    wait_for_views(2)

    assert list(PageView.objects.order_by("at").values_list("url", flat=True)) == [
        f"{origin}/index.html",
        f"{origin}/schuhe.html",
    ]
    assert JourneySession.objects.count() == 1
