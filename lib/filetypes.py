"""What a file is, read from its first bytes ("magic numbers"), never from its name or the
MIME type a browser guessed: a renamed program stays a program.

Only the kinds Switchboard sends as attachments are known: JPEG, PNG, GIF, WebP and PDF.
"""

from dataclasses import dataclass
from typing import IO

# Enough bytes for every signature below (WebP's is the longest: 12).
HEAD_BYTES = 16


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str
    label: str


JPEG = FileKind("image/jpeg", ".jpg", "JPEG")
PNG = FileKind("image/png", ".png", "PNG")
GIF = FileKind("image/gif", ".gif", "GIF")
WEBP = FileKind("image/webp", ".webp", "WebP")
PDF = FileKind("application/pdf", ".pdf", "PDF")
KINDS = (JPEG, PNG, GIF, WEBP, PDF)


def kind_of_head(head: bytes) -> FileKind | None:
    """The kind whose signature `head` (the file's first bytes) starts with; None for any
    other file."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def kind_of(file: IO[bytes]) -> FileKind | None:
    """The kind of an open file, read from its start; the position is put back to 0."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    return kind_of_head(head)
