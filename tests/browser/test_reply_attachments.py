"""Files on replies in real Chromium: an agent attaches a PNG and a PDF to an SMS and to an
e-mail reply and sees them in the thread; a program renamed to .png is refused with a
message, and the typed text stays in the box."""

import shutil
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from inbox.channels import locmem
from inbox.models import Attachment, Inbox, InboxChannel, InboxRole, Membership
from tests.browser.pages import log_in
from tests.factories import PASSWORD, inbound
from tests.test_reply_attachments import EXE_BYTES, PDF_BYTES, PNG_BYTES

pytestmark = [pytest.mark.browser]

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead collects screenshots (issue 11)


@pytest.fixture
def service(transactional_db, settings, live_server, alice, tmp_path):
    settings.SMS_BACKEND = "locmem"
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = live_server.url
    locmem.reset()
    inbox = Inbox.objects.create(name="Kundenservice", mode="open")
    InboxChannel.objects.create(inbox=inbox, kind="sms", address="+4930123456")
    InboxChannel.objects.create(inbox=inbox, kind="email", address="service@nordlicht.example")
    Membership.objects.create(inbox=inbox, user=alice, role=InboxRole.MEMBER)
    yield inbox
    locmem.reset()


def keep(path: Path, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"{name}.png")


def files(*pairs):
    types = {".png": "image/png", ".pdf": "application/pdf"}
    return [
        {
            "name": name,
            "mimeType": types.get(Path(name).suffix, "application/octet-stream"),
            "buffer": data,
        }
        for name, data in pairs
    ]


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_an_agent_sends_a_png_and_a_pdf_and_sees_them_in_the_thread(
    service, alice, new_page, screenshot, channel
):
    address = "kunde@example.org" if channel == "email" else "+491701234567"
    conversation = inbound(
        service,
        address=address,
        channel=channel,
        inbox_channel=InboxChannel.objects.get(inbox=service, kind=channel),
        subject="Rechnung" if channel == "email" else "",
    ).conversation
    page = new_page(width=1280)
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{conversation.pk}/")

    page.locator("textarea[data-composer]").fill("Hier das Foto und die Rechnung.")
    page.locator("input[data-attachments]").set_input_files(
        files(("lieferung.png", PNG_BYTES), ("Rechnung 4711.pdf", PDF_BYTES))
    )
    expect(page.locator("[data-attachment-names]")).to_have_text("lieferung.png, Rechnung 4711.pdf")
    page.get_by_role("button", name="Send").click()

    reply = page.locator(".msg-out").last
    expect(reply.locator(".msg-attachments li")).to_have_count(2)
    expect(reply.locator(".msg-attachments")).to_contain_text("lieferung.png")
    expect(reply.locator(".msg-attachments")).to_contain_text("Rechnung_4711.pdf")
    expect(reply.locator("[data-delivery]")).to_have_text("Sent")
    expect(page.locator("textarea[data-composer]")).to_have_value("")
    assert Attachment.objects.filter(message__direction="out").count() == 2
    if channel == "email":
        [email] = mail.outbox
        assert [name for name, _content, _type in email.attachments] == [
            "lieferung.png",
            "Rechnung_4711.pdf",
        ]
    else:
        [sent] = locmem.outbox
        assert sent.attachments == ("lieferung.png", "Rechnung_4711.pdf")
    # The agent's own file downloads from the thread.
    with page.expect_download() as download:
        reply.get_by_role("link", name="lieferung.png").click()
    assert Path(download.value.path()).read_bytes() == PNG_BYTES
    keep(screenshot(page, f"reply-attachments-{channel}"), f"reply-attachments-{channel}-1280")


def test_a_renamed_program_is_refused_and_the_text_stays(service, alice, new_page, screenshot):
    conversation = inbound(
        service, inbox_channel=InboxChannel.objects.get(inbox=service, kind="sms")
    ).conversation
    page = new_page(width=1280)
    log_in(page, alice.email, PASSWORD)
    page.goto(f"/inbox/c/{conversation.pk}/")

    page.locator("textarea[data-composer]").fill("Anbei das Formular, bitte ausfüllen.")
    page.locator("input[data-attachments]").set_input_files(files(("formular.png", EXE_BYTES)))
    page.get_by_role("button", name="Send").click()

    expect(page.locator(".toast")).to_contain_text(
        "“formular.png” is not a JPEG, PNG, GIF or WebP image or a PDF"
    )
    expect(page.locator("textarea[data-composer]")).to_have_value(
        "Anbei das Formular, bitte ausfüllen."
    )
    expect(page.locator(".msg-out")).to_have_count(0)
    assert not Attachment.objects.exists() and not locmem.outbox
    keep(screenshot(page, "reply-attachment-refused"), "reply-attachment-refused-1280")


FITS = """() => {
  const bar = document.querySelector(".composer-reply .composer-bar");
  return {
    page: document.documentElement.scrollWidth <= window.innerWidth,
    bar: bar ? bar.scrollWidth <= bar.clientWidth + 1 : null,
  };
}"""


@pytest.mark.parametrize(("locale", "language"), [("en-GB", "en"), ("de-DE", "de")])
def test_the_composer_with_attach_fits_at_1280_and_1366(
    service, alice, new_page, screenshot, locale, language
):
    alice.language = language
    alice.save(update_fields=["language"])
    conversation = inbound(
        service, inbox_channel=InboxChannel.objects.get(inbox=service, kind="sms")
    ).conversation
    for width in (1280, 1366):
        page = new_page(width=width, locale=locale)
        log_in(page, alice.email, PASSWORD, button="Anmelden" if language == "de" else "Log in")
        page.goto(f"/inbox/c/{conversation.pk}/")
        page.locator("input[data-attachments]").set_input_files(
            files(("Lieferschein mit sehr langem Namen 2026-12-01.pdf", PDF_BYTES))
        )
        assert page.evaluate(FITS) == {"page": True, "bar": True}, width
        if width == 1280:
            keep(
                screenshot(page, f"composer-attach-{language}"), f"composer-attach-1280-{language}"
            )
