"""The SMS counter under the template editor's message box in real Chromium: the live line for
a long text and for an en dash, the button that replaces typographic characters, what
WhatsApp and e-mail show, and that static/js/segments.js counts exactly as lib/segments.py."""

import pytest
from playwright.sync_api import expect

from campaigns.models import Template
from lib.segments import TYPOGRAPHIC, count, replace_typographic
from tests.browser.pages import log_in
from tests.factories import PASSWORD, inbox_with

pytestmark = [pytest.mark.browser]

EN_DASH = "\u2013"


@pytest.fixture
def editor(transactional_db, max_manager, new_page):
    inbox_with("Kundenservice", managers=[max_manager])
    page = new_page()
    log_in(page, max_manager.email, PASSWORD)
    page.goto("/campaigns/templates/new/")
    return page


def status(page):
    return page.locator(".segments-status")


def test_the_counter_shows_segments_and_encoding_as_you_type(editor):
    page = editor
    body = page.get_by_label("Message")
    expect(status(page)).to_have_text("0 characters · 0 SMS · GSM-7")

    body.fill("a" * 160)
    expect(status(page)).to_have_text("160 characters · 1 SMS · GSM-7")
    body.fill("a" * 161)
    expect(status(page)).to_have_text("161 characters · 2 SMS · GSM-7")
    expect(page.locator(".segments-long")).to_be_hidden()

    body.fill("Grüße aus Malmö: Öffnungszeiten Mo-Fr")
    expect(status(page)).to_have_text("37 characters · 1 SMS · GSM-7")

    body.fill("a" * 500)
    expect(page.locator(".segments-long")).to_have_text("Long message: 4 SMS per recipient")
    expect(page.locator(".segments")).to_have_class("segments segments-warning")


def test_an_en_dash_flips_to_ucs2_and_the_button_replaces_it(editor):
    page = editor
    body = page.get_by_label("Message")

    body.fill(f"Montag {EN_DASH} Freitag")

    expect(status(page)).to_have_text(f"16 characters · 1 SMS (UCS-2 because of “{EN_DASH}”)")
    expect(page.locator(".segments-non-gsm")).to_contain_text(
        f"Not in the SMS alphabet: “{EN_DASH}”"
    )
    page.get_by_role("button", name="Replace typographic characters").click()
    expect(body).to_have_value("Montag - Freitag")
    expect(status(page)).to_have_text("16 characters · 1 SMS · GSM-7")
    expect(page.locator(".segments-non-gsm")).to_be_hidden()
    expect(body).to_be_focused()


def test_an_emoji_has_no_replacement(editor):
    page = editor
    body = page.get_by_label("Message")

    body.fill("Danke 🙂")

    expect(status(page)).to_have_text("7 characters · 1 SMS (UCS-2 because of “🙂”)")
    expect(page.get_by_role("button", name="Replace typographic characters")).to_be_hidden()


def test_whatsapp_counts_characters_and_email_shows_nothing_but_a_subject(editor):
    page = editor
    page.get_by_label("Message").fill(f"Montag {EN_DASH} Freitag")
    expect(page.get_by_label("Subject")).to_be_hidden()

    page.get_by_label("Channel").select_option("whatsapp")
    expect(status(page)).to_have_text("16 characters")
    expect(page.locator(".segments-non-gsm")).to_be_hidden()

    page.get_by_label("Channel").select_option("email")
    expect(page.locator(".segments")).to_be_hidden()
    expect(page.get_by_label("Subject")).to_be_visible()


def test_the_template_is_saved_from_the_editor(editor, max_manager):
    page = editor
    page.get_by_label("Name").fill("Lieferzeit")
    page.get_by_label("Language").select_option("de")
    page.get_by_label("Message").fill(f"Ihr Paket kommt morgen {EN_DASH} versprochen.")
    page.get_by_role("button", name="Replace typographic characters").click()
    page.get_by_role("button", name="Save template").click()

    expect(page.get_by_role("link", name="Lieferzeit")).to_be_visible()
    template = Template.objects.get()
    assert template.body == "Ihr Paket kommt morgen - versprochen."
    assert template.created_by == max_manager


def test_the_browser_counts_like_the_server(editor):
    texts = [
        "",
        "a" * 160,
        "a" * 161,
        "a" * 306,
        "a" * 307,
        "Ж" * 70,
        "Ж" * 71,
        "€" * 80,
        "€" * 81,
        "a" * 152 + "€" + "a" * 152,
        "Ж" * 66 + "🙂" + "Ж" * 66,
        "Grüße åäö ÅÄÖ ß é ñ Ç {[~]}|^\\ \f",
        "".join(TYPOGRAPHIC),
        f"Hej 🙂 {EN_DASH} \u201cok\u201d \u2026 ç",
    ]

    counted = editor.evaluate(
        """texts => texts.map(text => {
            const r = window.SwitchboardSegments.count(text);
            return [r.encoding, r.units, r.segments, r.per_segment, r.remaining, r.non_gsm,
                    window.SwitchboardSegments.replaceTypographic(text)];
        })""",
        texts,
    )

    expected = []
    for text in texts:
        result = count(text)
        expected.append(
            [
                result.encoding,
                result.units,
                result.segments,
                result.per_segment,
                result.remaining,
                result.non_gsm,
                replace_typographic(text),
            ]
        )
    assert counted == expected


def test_a_prefix_is_counted_with_the_message(editor):
    page = editor
    page.get_by_label("Message").evaluate(
        "field => field.setAttribute('data-segments-prefix', 'Nordlicht GmbH: ')"
    )

    page.get_by_label("Message").fill("a" * 145)

    expect(status(page)).to_have_text("161 characters · 2 SMS · GSM-7")
