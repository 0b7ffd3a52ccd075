"""Shared by the contact import tests: CSV files, an upload through HTTP, running the worker."""

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.csv_import.models import ContactImport


@pytest.fixture(autouse=True)
def _storage_in_memory(settings) -> None:
    """Uploads and reports go through default_storage only (as on S3): a memory storage."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def csv_bytes(
    rows: list[list[Any]], *, delimiter: str = ",", encoding: str = "utf-8", bom: bool = False
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def people(count: int, *, start: int = 0, bad_every: int = 0) -> list[list[str]]:
    """A header and `count` rows of distinct people; every `bad_every`-th e-mail is broken."""
    rows = [["Vorname", "Nachname", "E-Mail", "Telefon", "Firma"]]
    for n in range(start, start + count):
        email = f"person{n}@example.org"
        if bad_every and n % bad_every == bad_every - 1:
            email = f"=HYPERLINK(person{n})"
        rows.append([f"First{n}", f"Last{n}", email, "", f"Company {n % 7}"])
    return rows


def upload(client: Any, data: bytes, name: str = "contacts.csv") -> Any:
    return client.post(
        reverse("contact_settings:imports"),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def uploaded(client: Any, data: bytes, name: str = "contacts.csv") -> ContactImport:
    response = upload(client, data, name)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ContactImport.objects.latest("id")


def mapping_post(contact_import: ContactImport, **options: Any) -> dict[str, Any]:
    """The mapping form as the screen suggests it, with `options` on top."""
    from contacts.csv_import.mapping import suggest
    from contacts.models import AttributeDefinition

    mapping = options.pop("mapping", None) or suggest(
        contact_import.header, list(AttributeDefinition.objects.all())
    )
    data = {f"column_{index}": target for index, target in enumerate(mapping)}
    data.update({"source_system": "", "tags": "", "consent_source": "", "consent_basis": ""})
    data.update(options)
    return data


def detail_url(contact_import: ContactImport) -> str:
    return reverse("contact_settings:import_detail", args=[contact_import.pk])
