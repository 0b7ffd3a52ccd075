"""Contact import: what an upload may be (encodings, delimiters, size) and the suggested
mapping from header names in English, German and Swedish."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.csv_import import reading
from contacts.csv_import.mapping import IGNORE, normalise_header, suggest
from contacts.csv_import.models import ContactImport
from contacts.models import AttributeDefinition
from tests.contact_import_helpers import (  # noqa: F401 - the fixture
    _storage_in_memory,
    csv_bytes,
    upload,
    uploaded,
)

UMLAUTS = [["Vorname", "Nachname", "E-Mail"], ["Jürgen", "Größe", "jg@example.de"]]


def facts(data: bytes) -> reading.FileFacts:
    return reading.inspect_upload(SimpleUploadedFile("x.csv", data))


def test_utf8_is_read_as_utf8():
    found = facts(csv_bytes(UMLAUTS))
    assert (found.encoding, found.delimiter) == ("utf-8", ",")
    assert found.preview == [["Jürgen", "Größe", "jg@example.de"]]


def test_a_byte_order_mark_is_stripped():
    found = facts(csv_bytes(UMLAUTS, bom=True))
    assert found.encoding == "utf-8-sig"
    assert found.header[0] == "Vorname"


def test_latin1_with_umlauts_is_detected():
    found = facts(csv_bytes(UMLAUTS, encoding="latin-1", delimiter=";"))
    assert (found.encoding, found.delimiter) == ("latin-1", ";")
    assert found.preview[0][:2] == ["Jürgen", "Größe"]


def test_one_invalid_byte_late_in_the_file_makes_it_latin1():
    rows = [["E-Mail", "Name"]] + [[f"p{n}@example.org", "Anna"] for n in range(5000)]
    data = csv_bytes(rows) + "x@example.org,Åsa Öberg\r\n".encode("latin-1")
    found = facts(data)
    assert found.encoding == "latin-1"
    assert found.total_rows == 5001


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_the_delimiter_is_sniffed(delimiter):
    rows = [["Name", "E-Mail", "Firma"], ["Müller, Anna", "a@example.de", "X; Y"]]
    found = facts(csv_bytes(rows, delimiter=delimiter))
    assert found.delimiter == delimiter
    assert found.preview == [["Müller, Anna", "a@example.de", "X; Y"]]


def test_a_header_the_sniffer_cannot_read_falls_back_to_counting():
    assert reading.sniff_delimiter("email;name;phone") == ";"
    assert reading.sniff_delimiter("email") == ","


def test_rows_are_counted_as_csv_rows_and_blank_lines_skipped():
    data = b'E-Mail,Notes\r\na@example.org,"two\r\nlines"\r\n\r\nb@example.org,x\r\n'
    found = facts(data)
    assert found.total_rows == 2
    with io.BytesIO(data) as source:
        stream = reading.text_stream(source, "utf-8")
        reader = csv.reader(stream)
        next(reader)  # the header
        rows = list(reading.data_rows(reader))
    # Numbered by record as a spreadsheet shows them: header 1, the blank line 3.
    assert [number for number, _cells in rows] == [2, 4]


def test_empty_and_header_only_files_are_refused():
    with pytest.raises(Exception, match="empty"):
        facts(b"")
    with pytest.raises(Exception, match="no contacts"):
        facts(b"E-Mail,Name\r\n")


def test_a_file_over_50_mb_is_refused_with_a_clear_message(client_for, max_manager, monkeypatch):
    big = SimpleUploadedFile("big.csv", b"E-Mail\r\n")
    big.size = reading.MAX_BYTES + 1
    with pytest.raises(Exception, match="at most 50 MB"):
        reading.inspect_upload(big)
    # Through HTTP with the limit lowered, so the test need not post 50 MB.
    monkeypatch.setattr(reading, "MAX_BYTES", 100)
    response = upload(client_for(max_manager), b"E-Mail\r\n" + b"a@example.org\r\n" * 10)
    assert response.status_code == 422
    assert "at most 50 MB" in response.content.decode()
    assert not ContactImport.objects.exists()


def test_bad_files_answer_422_and_store_nothing(client_for, max_manager):
    client = client_for(max_manager)
    for data in (b"", b"\r\n\r\n", b"E-Mail\r\n"):
        response = upload(client, data)
        assert response.status_code == 422
    assert not ContactImport.objects.exists()


def test_an_upload_is_stored_through_default_storage(client_for, max_manager):
    from django.core.files.storage import default_storage

    contact_import = uploaded(client_for(max_manager), csv_bytes(UMLAUTS, bom=True), "Kunden.csv")
    assert contact_import.storage_path == f"imports/1/{contact_import.uuid}.csv"
    assert default_storage.exists(contact_import.storage_path)
    assert contact_import.file_name == "Kunden.csv"
    assert contact_import.total_rows == 1
    assert contact_import.status == "draft"
    assert contact_import.created_by == max_manager


def test_normalised_header_names():
    assert normalise_header(" E-Mail ") == "email"
    assert normalise_header("Förnamn") == "förnamn"
    assert normalise_header("e-post") == "epost"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["First name", "Last name", "Company", "Email", "Phone", "Tags"],
            ["first_name", "last_name", "company", "email", "phone", "tags"],
        ),
        (
            ["Vorname", "Nachname", "Firma", "E-Mail", "Telefon", "Mobil"],
            ["first_name", "last_name", "company", "email", "phone", IGNORE],
        ),
        (
            ["Förnamn", "Efternamn", "Företag", "e-post", "telefon", "Kundnummer"],
            ["first_name", "last_name", "company", "email", "phone", "external_id"],
        ),
        (["Mobil", "Whatever"], ["phone", IGNORE]),
    ],
)
def test_suggestions_from_header_names(db, header, expected, organisation):
    assert suggest(header, list(AttributeDefinition.objects.all())) == expected


def test_suggestions_for_attributes_by_key_label_and_translated_label(organisation):
    AttributeDefinition.objects.create(key="customer_tier", label="Kundenstufe", type="text")
    definitions = list(AttributeDefinition.objects.all())
    suggested = suggest(
        ["customer_tier", "Kundenstufe", "Berufsbezeichnung", "Befattning"], definitions
    )
    assert suggested == ["attr:customer_tier", IGNORE, "attr:job_title", IGNORE]
