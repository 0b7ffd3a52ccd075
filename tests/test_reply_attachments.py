"""Files on replies: checked by content and size, stored, shown in the thread, sent as
Twilio media (signed, expiring links Switchboard serves) or as e-mail attachments, and
covered by the contact's export and erasure."""

import struct
import zlib

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contacts.actions import anonymise_contact, create_contact
from contacts.exports import export_document
from inbox import actions
from inbox.channels import locmem
from inbox.channels.twilio import reply_media
from inbox.models import Attachment, InboxChannel, Message
from inbox.reply_files import stored_name
from lib.filetypes import PNG, kind_of_head
from tests.factories import inbound, inbox_with

PUBLIC = "https://support.nordlicht.example"


def png_bytes() -> bytes:
    """A real PNG of one pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG_BYTES = png_bytes()
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SMS_BACKEND = "locmem"
    settings.PUBLIC_BASE_URL = PUBLIC
    locmem.reset()
    yield
    locmem.reset()


@pytest.fixture
def inbox_a(alice, max_manager):
    inbox = inbox_with("Support A", "open", members=[alice], managers=[max_manager])
    for kind, address in (("sms", "+49401234567"), ("email", "support@nordlicht.example")):
        InboxChannel.objects.create(inbox=inbox, kind=kind, address=address)
    return inbox


def conversation_in(inbox, channel="sms"):
    address = "kunde@example.org" if channel == "email" else "+49 170 1234567"
    ours = InboxChannel.objects.get(inbox=inbox, kind=channel)
    return inbound(inbox, address=address, channel=channel, inbox_channel=ours).conversation


def post_reply(client, conversation, body, *files):
    return client.post(
        reverse("inbox:conversation_reply", args=[conversation.pk]),
        {"body": body, "attachments": list(files)},
        headers={"HX-Request": "true"},
    )


# --- What a file is ---------------------------------------------------------------------------


def test_the_kind_comes_from_the_content():
    assert kind_of_head(PNG_BYTES[:16]) == PNG
    assert kind_of_head(b"RIFF\x10\x00\x00\x00WEBPVP8 ").content_type == "image/webp"
    assert kind_of_head(b"GIF89a\x01\x00").content_type == "image/gif"
    assert kind_of_head(b"\xff\xd8\xff\xe0\x00\x10JFIF").content_type == "image/jpeg"
    assert kind_of_head(PDF_BYTES[:16]).content_type == "application/pdf"
    assert kind_of_head(EXE_BYTES[:16]) is None
    assert kind_of_head(b"<svg xmlns=") is None


def test_the_stored_name_ends_with_what_the_file_is():
    assert stored_name("Rechnung März.PDF", kind_of_head(PDF_BYTES)) == "Rechnung_März.PDF"
    assert stored_name("photo", PNG) == "photo.png"
    assert stored_name("report.pdf", PNG) == "report.png"
    assert stored_name("../../etc/x.jpeg", kind_of_head(b"\xff\xd8\xff")) == "x.jpeg"


# --- The composer -----------------------------------------------------------------------------


def test_a_png_and_a_pdf_go_with_an_sms_reply_and_show_in_the_thread(
    client_for, alice, inbox_a, django_capture_on_commit_callbacks
):
    conversation = conversation_in(inbox_a)
    client = client_for(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_reply(
            client,
            conversation,
            "Hier das Foto und die Rechnung.",
            upload("foto.png", PNG_BYTES, "image/png"),
            upload("Rechnung.pdf", PDF_BYTES, "application/pdf"),
        )

    assert response.status_code == 200
    message = Message.objects.get(conversation=conversation, direction="out")
    files = list(message.attachments.order_by("pk"))
    assert [(f.filename, f.content_type, f.size) for f in files] == [
        ("foto.png", "image/png", len(PNG_BYTES)),
        ("Rechnung.pdf", "application/pdf", len(PDF_BYTES)),
    ]
    assert files[0].file.read() == PNG_BYTES
    page = response.content.decode()
    assert "foto.png" in page and "Rechnung.pdf" in page
    assert reverse("inbox:attachment_download", args=[files[1].pk]) in page
    [sent] = locmem.outbox
    assert sent.attachments == ("foto.png", "Rechnung.pdf")
    # The sender downloads their own file as an attachment, never rendered inline.
    download = client.get(reverse("inbox:attachment_download", args=[files[0].pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PNG_BYTES


def test_a_picture_alone_is_a_reply(client_for, alice, inbox_a, django_capture_on_commit_callbacks):
    conversation = conversation_in(inbox_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_reply(client_for(alice), conversation, "", upload("x.png", PNG_BYTES))

    assert response.status_code == 200
    message = Message.objects.get(conversation=conversation, direction="out")
    assert message.body == "" and message.attachments.count() == 1
    conversation.refresh_from_db()
    assert conversation.last_message_preview == "x.png"


def test_a_renamed_program_is_refused_and_the_text_kept(client_for, alice, inbox_a):
    conversation = conversation_in(inbox_a)

    response = post_reply(
        client_for(alice),
        conversation,
        "Anbei die Datei",
        upload("bild.png", EXE_BYTES, "image/png"),
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Anbei die Datei</textarea>" in page
    assert "“bild.png” is not a JPEG, PNG, GIF or WebP image or a PDF" in page
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()
    assert not Attachment.objects.exists()


def test_without_javascript_a_refusal_draws_the_page_with_the_text_kept(client_for, alice, inbox_a):
    conversation = conversation_in(inbox_a)

    response = client_for(alice).post(
        reverse("inbox:conversation_reply", args=[conversation.pk]),
        {"body": "Bitte sehr", "attachments": [upload("a.pdf", b"")]},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Bitte sehr</textarea>" in page and "“a.pdf” is empty." in page


@pytest.mark.parametrize(
    ("channel", "limit_key", "expected"),
    [
        ("sms", "each", "a reply by SMS takes files up to"),
        ("email", "total", "a reply by E-mail takes up to"),
    ],
)
def test_files_over_the_channels_limits_are_refused(
    client_for, alice, inbox_a, settings, channel, limit_key, expected
):
    limits = {k: dict(v) for k, v in settings.REPLY_ATTACHMENT_LIMITS.items()}
    limits[channel][limit_key] = len(PDF_BYTES) + 10
    settings.REPLY_ATTACHMENT_LIMITS = limits
    conversation = conversation_in(inbox_a, channel)
    files = [upload("a.pdf", PDF_BYTES), upload("b.pdf", PDF_BYTES + b" " * 20)]

    response = post_reply(client_for(alice), conversation, "Zu groß", *files)

    assert response.status_code == 422
    assert expected in response.content.decode()
    assert not Attachment.objects.exists()


def test_more_files_than_a_channel_takes_are_refused(client_for, alice, inbox_a, settings):
    limits = {k: dict(v) for k, v in settings.REPLY_ATTACHMENT_LIMITS.items()}
    limits["sms"]["count"] = 2
    settings.REPLY_ATTACHMENT_LIMITS = limits
    conversation = conversation_in(inbox_a)
    files = [upload(f"{n}.png", PNG_BYTES) for n in range(3)]

    response = post_reply(client_for(alice), conversation, "Drei", *files)

    assert response.status_code == 422
    assert "can carry up to 2 files; you chose 3" in response.content.decode()


def test_a_whatsapp_reply_carries_one_file(alice, inbox_a):
    from inbox.reply_files import check_reply_files

    with pytest.raises(ValidationError) as refused:
        check_reply_files(
            [upload("a.png", PNG_BYTES), upload("b.png", PNG_BYTES)], channel="whatsapp"
        )

    assert refused.value.messages == ["A reply by WhatsApp can carry one file; you chose 2."]


def test_an_agent_of_another_inbox_cannot_attach_anything(client_for, bob, inbox_a):
    inbox_with("Sales B", members=[bob])
    conversation = conversation_in(inbox_a)

    response = post_reply(client_for(bob), conversation, "Hallo", upload("x.png", PNG_BYTES))

    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_a_double_submit_stores_the_files_once(client_for, alice, inbox_a):
    conversation = conversation_in(inbox_a)
    client = client_for(alice)
    data = {"body": "Einmal", "client_id": "6f2a2c4e-9d7e-4b4a-8c3e-1f2a3b4c5d6e"}
    url = reverse("inbox:conversation_reply", args=[conversation.pk])

    for _n in range(2):
        client.post(url, {**data, "attachments": [upload("x.png", PNG_BYTES)]})

    assert Attachment.objects.count() == 1


# --- E-mail -----------------------------------------------------------------------------------


def test_an_email_reply_carries_real_attachments(
    client_for, alice, inbox_a, django_capture_on_commit_callbacks
):
    conversation = conversation_in(inbox_a, "email")

    with django_capture_on_commit_callbacks(execute=True):
        post_reply(
            client_for(alice),
            conversation,
            "Anbei",
            upload("foto.png", PNG_BYTES, "text/plain"),
            upload("Rechnung.pdf", PDF_BYTES),
        )

    [email] = mail.outbox
    assert email.attachments == [
        ("foto.png", PNG_BYTES, "image/png"),
        ("Rechnung.pdf", PDF_BYTES, "application/pdf"),
    ]
    assert Message.objects.get(direction="out").status == "sent"


# --- Twilio media -----------------------------------------------------------------------------


def test_an_mms_names_each_file_by_a_signed_link_that_serves_it(
    fake_twilio, alice, inbox_a, django_capture_on_commit_callbacks, settings
):
    settings.PUBLIC_BASE_URL = PUBLIC
    conversation = conversation_in(inbox_a)
    files = [
        _checked("foto.png", PNG_BYTES, conversation.channel),
        _checked("Rechnung.pdf", PDF_BYTES, conversation.channel),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        message = actions.reply(conversation, body="Bitte sehr", actor=alice, files=files)

    message.refresh_from_db()
    assert message.status == "sent"
    [urls] = fake_twilio.accepted_media
    assert len(urls) == 2 and all(
        url.startswith(f"{PUBLIC}/webhooks/twilio/media/") for url in urls
    )
    anonymous = Client()
    first = anonymous.get(urls[0].removeprefix(PUBLIC))
    assert first.status_code == 200
    assert first["Content-Type"] == "image/png"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert b"".join(first.streaming_content) == PNG_BYTES
    second = anonymous.get(urls[1].removeprefix(PUBLIC))
    assert b"".join(second.streaming_content) == PDF_BYTES


def test_a_changed_or_expired_media_link_is_a_404(alice, inbox_a, settings):
    conversation = conversation_in(inbox_a)
    message = actions.reply(
        conversation, body="", actor=alice, files=[_checked("x.png", PNG_BYTES, "sms")]
    )
    attachment = message.attachments.get()
    path = reply_media.media_link(attachment).removeprefix(PUBLIC)
    anonymous = Client()
    assert anonymous.get(path).status_code == 200

    token = path.rstrip("/").rsplit("/", 1)[1]
    changed = path.replace(token, token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb"))
    assert anonymous.get(changed).status_code == 404
    # Another attachment's id under a token signed with some other salt is no link of ours.
    forged = signing.dumps(attachment.pk, salt="another.salt")
    assert anonymous.get(reverse("webhooks:twilio_reply_media", args=[forged])).status_code == 404

    settings.REPLY_MEDIA_LINK_MAX_AGE = -1  # every link is older than that
    assert anonymous.get(path).status_code == 404


def test_a_customers_own_file_is_never_served_by_a_media_link(inbox_a):
    from inbox.actions import IncomingFile

    message = inbound(inbox_a, attachments=[IncomingFile("pass.pdf", "application/pdf", PDF_BYTES)])
    theirs = message.attachments.get()
    token = signing.dumps(theirs.pk, salt=reply_media.SALT)

    response = Client().get(reverse("webhooks:twilio_reply_media", args=[token]))

    assert response.status_code == 404


# --- Export and erasure -----------------------------------------------------------------------


def test_the_contacts_export_and_erasure_cover_the_files_of_replies(ada, alice, inbox_a):
    contact = create_contact(
        actor=ada, first_name="Quirin", identities=[("phone", "+491701234567")]
    )
    conversation = conversation_in(inbox_a)
    assert conversation.contact_id == contact.pk
    message = actions.reply(
        conversation, body="", actor=alice, files=[_checked("Quirin.png", PNG_BYTES, "sms")]
    )
    attachment = message.attachments.get()
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)

    [exported] = export_document(contact, ada)["conversations"]
    assert any(m["attachments"] == ["Quirin.png"] for m in exported["messages"])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda run, **kwargs: run())
        anonymise_contact(contact, actor=ada)

    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not storage.exists(name)


def _checked(name, content, channel):
    from inbox.reply_files import check_reply_files

    [checked] = check_reply_files([upload(name, content)], channel=channel)
    return checked
