"""Files an agent attaches to a reply: checked by their content and against the channel's
limits (settings.REPLY_ATTACHMENT_LIMITS, config/uploads.py) before anything is stored.

A file's kind comes from its first bytes (lib.filetypes), never from its name or the MIME type
the browser sent; the stored name ends with the extension of that kind, so a download never
claims to be something else. A refusal names the file and the limit, and the reply keeps
what was typed (inbox.conversation_views.reply).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inbox.models import Channel
from lib.filetypes import KINDS, FileKind, kind_of

MAX_NAME = 120
ACCEPT = ",".join(kind.content_type for kind in KINDS)


@dataclass(frozen=True)
class ReplyFile:
    """One checked file, ready to be stored as an Attachment."""

    upload: UploadedFile
    filename: str
    kind: FileKind

    @property
    def size(self) -> int:
        return int(self.upload.size or 0)


def limits_for(channel: str) -> dict[str, int]:
    return settings.REPLY_ATTACHMENT_LIMITS[channel]


def stored_name(original: str, kind: FileKind) -> str:
    """The name a checked file is stored and sent under: the uploaded name made safe, with
    the extension of what it really is ("scan.PDF" stays, "invoice.exe" never reaches here,
    "photo" becomes "photo.png")."""
    path = PurePath(original.replace("\\", "/"))
    try:
        stem = get_valid_filename(path.stem)
    except SuspiciousFileOperation:  # nothing usable left of the name
        stem = ""
    stem = stem[: MAX_NAME - len(kind.extension)] or "attachment"
    suffix = path.suffix.lower()
    same = {".jpg", ".jpeg"} if kind.extension == ".jpg" else {kind.extension}
    return f"{stem}{path.suffix if suffix in same else kind.extension}"


def check_reply_files(uploads: Sequence[UploadedFile], *, channel: str) -> list[ReplyFile]:
    """The uploads as ReplyFiles, or ValidationError with every reason they are refused."""
    if not uploads:
        return []
    limits = limits_for(channel)
    channel_name = Channel(channel).label
    if len(uploads) > limits["count"]:
        raise ValidationError(
            ngettext(
                "A reply by %(channel)s can carry one file; you chose %(chosen)s.",
                "A reply by %(channel)s can carry up to %(count)s files; you chose %(chosen)s.",
                limits["count"],
            )
            % {"channel": channel_name, "count": limits["count"], "chosen": len(uploads)}
        )
    checked, problems = [], []
    for upload in uploads:
        name = PurePath((upload.name or "").replace("\\", "/")).name or _("(no name)")
        kind = kind_of(upload) if upload.size else None
        if not upload.size:
            problems.append(_("“%(name)s” is empty.") % {"name": name})
        elif kind is None:
            problems.append(
                _(
                    "“%(name)s” is not a JPEG, PNG, GIF or WebP image or a PDF (its content was "
                    "checked, not its name), so it cannot be attached."
                )
                % {"name": name}
            )
        elif upload.size > limits["each"]:
            problems.append(
                _("“%(name)s” is %(size)s; a reply by %(channel)s takes files up to %(limit)s.")
                % {
                    "name": name,
                    "size": filesizeformat(upload.size),
                    "channel": channel_name,
                    "limit": filesizeformat(limits["each"]),
                }
            )
        else:
            checked.append(ReplyFile(upload, stored_name(name, kind), kind))
    if problems:
        raise ValidationError(problems)
    total = sum(file.size for file in checked)
    if total > limits["total"]:
        raise ValidationError(
            _("The files are %(size)s together; a reply by %(channel)s takes up to %(limit)s.")
            % {
                "size": filesizeformat(total),
                "channel": channel_name,
                "limit": filesizeformat(limits["total"]),
            }
        )
    return checked
