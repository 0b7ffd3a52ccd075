"""Reading a CSV file as a stream: its encoding, its delimiter, its rows.

Nothing here holds a whole file in memory. An upload is checked in two passes over the
uploaded file (Django spools anything above 2.5 MB to disk): first the encoding (strict UTF-8
over every byte, else Latin-1, which decodes anything), then the rows, counted as the csv
module parses them — so a quoted value with a line break is one row, as in a spreadsheet.
The stored file is read back through `default_storage` in 64 KB reads, the same way on the
file system and on S3.
"""

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from lib.text import without_nul

MAX_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 200
PREVIEW_ROWS = 20
PREVIEW_CELL = 200
SNIFF_BYTES = 1024
READ_BYTES = 64 * 1024
DELIMITERS = ",;"


@dataclass
class FileFacts:
    encoding: str
    delimiter: str
    header: list[str]
    total_rows: int
    preview: list[list[str]] = field(default_factory=list)


class _Raw(io.RawIOBase):
    """A binary file object (a Django File from any storage) as a raw stream for io's
    buffered and text layers, read `READ_BYTES` at a time."""

    def __init__(self, source: Any) -> None:
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def text_stream(source: Any, encoding: str) -> io.TextIOWrapper:
    raw = io.BufferedReader(_Raw(source), buffer_size=READ_BYTES)
    # newline="": the csv module sees the line breaks inside quoted values as they are.
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def detect_encoding(chunks: Iterable[bytes]) -> tuple[str, bytes]:
    """("utf-8-sig" | "utf-8" | "latin-1", the first SNIFF_BYTES bytes). UTF-8 is checked
    strictly over the whole file: one invalid sequence anywhere and it is Latin-1."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    head = b""
    utf8 = True
    for chunk in chunks:
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if not utf8:
        return "latin-1", head
    return ("utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"), head


def sniff_delimiter(sample: str) -> str:
    """`,` or `;`: csv.Sniffer on the first KB, else whichever the first line has more of."""
    # The last line of the sample is usually cut off; the sniffer reads whole lines.
    if "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        return ";" if first_line.count(";") > first_line.count(",") else ","


def data_rows(reader: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of each data row after the header; blank lines are skipped but
    counted, so the number is the row a spreadsheet shows (the header is row 1)."""
    for number, cells in enumerate(reader, start=2):
        if any(cell.strip() for cell in cells):
            yield number, without_nul(cells)


def too_big(size: int) -> str:
    return _("The file has %(size)s MB; at most 50 MB can be imported. Split it into parts.") % {
        "size": f"{size / 1024 / 1024:.1f}"
    }


def inspect_upload(upload: Any) -> FileFacts:
    """The facts of an uploaded file (a Django UploadedFile), or ValidationError saying in
    the user's words what is wrong with it."""
    if upload.size > MAX_BYTES:
        raise ValidationError(too_big(upload.size))
    if upload.size == 0:
        raise ValidationError(_("The file is empty."))
    upload.seek(0)
    encoding, head = detect_encoding(upload.chunks())
    delimiter = sniff_delimiter(head.decode(encoding, errors="ignore"))
    upload.seek(0)
    stream = text_stream(upload, encoding)
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ValidationError(_("The first row must name the columns; it is empty."))
        if len(header) > MAX_COLUMNS:
            raise ValidationError(
                _("The file has %(count)s columns; at most %(max)s can be imported.")
                % {"count": len(header), "max": MAX_COLUMNS}
            )
        preview: list[list[str]] = []
        total = 0
        for _number, cells in data_rows(reader):
            total += 1
            if len(preview) < PREVIEW_ROWS:
                preview.append([cell[:PREVIEW_CELL] for cell in cells[: len(header)]])
    except csv.Error as exc:
        raise ValidationError(
            _("The file could not be read as CSV near row %(row)s: %(reason)s.")
            % {"row": reader.line_num, "reason": exc}
        ) from exc
    finally:
        stream.detach()
    if total == 0:
        raise ValidationError(_("The file has a header row but no contacts below it."))
    names = [without_nul(name).strip() for name in header]
    names = [name or _("Column %(n)s") % {"n": n} for n, name in enumerate(names, start=1)]
    return FileFacts(encoding, delimiter, names, total, preview)


@contextmanager
def stored_rows(
    path: str, *, encoding: str, delimiter: str
) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """The data rows of a stored file, streamed from `default_storage`."""
    with default_storage.open(path, "rb") as source:
        stream = text_stream(source, encoding)
        reader = csv.reader(stream, delimiter=delimiter)
        next(reader, None)  # the header
        try:
            yield data_rows(reader)
        finally:
            stream.detach()
