"""manage.py backup and restore: a seeded database and its media, backed up (encrypted),
restored into a fresh PostgreSQL database by the command as an operator runs it, and compared
table by table and file by file."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from lib import backups
from tests.databases import database_url
from tests.factories import ContactFactory, inbound, inbox_with

ROOT = Path(__file__).resolve().parent.parent
KEY = "correct horse battery staple"

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"
)


@pytest.fixture
def seeded(transactional_db, settings, tmp_path, alice):
    """Contacts, a conversation with messages, and two media files (one in a subfolder)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "attachments" / "2026").mkdir(parents=True)
    (settings.MEDIA_ROOT / "attachments" / "2026" / "invoice.pdf").write_bytes(
        b"%PDF-1.4 " + os.urandom(3000)
    )
    (settings.MEDIA_ROOT / "logo.png").write_bytes(b"\x89PNG" + os.urandom(500))
    ContactFactory(first_name="Jürgen", last_name="Östlund")
    ContactFactory.create_batch(3)
    service = inbox_with("Service", members=[alice])
    for number in range(4):
        inbound(service, address=f"+49 170 123456{number}", body=f"Frage {number}: wo bleibt …")
    return settings.MEDIA_ROOT


@pytest.fixture
def fresh_database():
    """An empty PostgreSQL database of this test's own, dropped afterwards."""
    db = connection.settings_dict
    name = f"sb_restore_{os.getpid()}"
    admin = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    yield name, database_url(name)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**base, "SECRET_KEY": "x", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _counts(url: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        counts = {}
        for table in tables:
            row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608
            assert row is not None
            counts[table] = int(row[0])
        return counts


@needs_postgres
def test_an_encrypted_backup_restores_into_a_fresh_database_with_every_row_and_file(
    seeded, tmp_path, fresh_database
):
    _, url = fresh_database
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    call_command("backup", output_dir=str(tmp_path / "enc"), key_file=str(key_file))
    [(_, path)] = list(backups.backups_in(tmp_path / "enc"))
    assert sorted(p.name for p in path.iterdir()) == [
        "database.dump.enc",
        "manifest.json",
        "media.tar.gz.enc",
    ]
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["encrypted"] is True
    assert manifest["row_counts"]["contacts_contact"] >= 4
    assert manifest["row_counts"]["inbox_message"] >= 4
    # Nothing readable at rest: the customer's name is not in the encrypted dump.
    assert "Östlund".encode() not in (path / "database.dump.enc").read_bytes()

    restored_media = tmp_path / "restored-media"
    result = _manage(
        "restore",
        str(path),
        "--key-file",
        str(key_file),
        env={"DATABASE_URL": url, "MEDIA_ROOT": str(restored_media)},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "every count and checksum matches" in result.stdout
    assert _counts(url, list(manifest["row_counts"])) == manifest["row_counts"]
    for relative in ("attachments/2026/invoice.pdf", "logo.png"):
        assert (restored_media / relative).read_bytes() == (seeded / relative).read_bytes()
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        names = {row[0] for row in conn.execute("SELECT last_name FROM contacts_contact")}
    assert "Östlund" in names


@needs_postgres
def test_restore_refuses_a_wrong_key_a_missing_key_and_a_database_with_data(
    seeded, tmp_path, fresh_database
):
    _, url = fresh_database
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    call_command("backup", output_dir=str(tmp_path / "enc"), key_file=str(key_file))
    [(_, path)] = list(backups.backups_in(tmp_path / "enc"))
    media = str(tmp_path / "m")

    without = _manage("restore", str(path), env={"DATABASE_URL": url, "MEDIA_ROOT": media})
    assert without.returncode == 1
    assert "encrypted" in without.stderr

    (tmp_path / "wrong").write_text("not the key")
    wrong = _manage(
        "restore",
        str(path),
        "--key-file",
        str(tmp_path / "wrong"),
        env={"DATABASE_URL": url, "MEDIA_ROOT": media},
    )
    assert wrong.returncode == 1
    assert "wrong key" in wrong.stderr

    # The test database itself holds data: a restore into it is refused without --force.
    busy = database_url()
    refused = _manage(
        "restore",
        str(path),
        "--key-file",
        str(key_file),
        env={"DATABASE_URL": busy, "MEDIA_ROOT": media},
    )
    assert refused.returncode == 1
    assert "holds data" in refused.stderr


def test_an_altered_or_truncated_encrypted_file_is_refused(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(os.urandom(backups.CHUNK * 2 + 123))
    sealed = tmp_path / "sealed"
    backups.encrypt_file(plain, sealed, KEY)

    backups.decrypt_file(sealed, tmp_path / "back", KEY)
    assert (tmp_path / "back").read_bytes() == plain.read_bytes()

    data = bytearray(sealed.read_bytes())
    data[200] ^= 1
    (tmp_path / "altered").write_bytes(bytes(data))
    with pytest.raises(backups.BackupError, match="altered"):
        backups.decrypt_file(tmp_path / "altered", tmp_path / "out", KEY)

    # Cut after the first chunk: the "last chunk" flag is missing, nothing passes as whole.
    first = len(backups.MAGIC) + 24 + 4 + backups.CHUNK + 16
    (tmp_path / "cut").write_bytes(sealed.read_bytes()[:first])
    with pytest.raises(backups.BackupError, match="truncated"):
        backups.decrypt_file(tmp_path / "cut", tmp_path / "out", KEY)


def test_backups_older_than_keep_days_are_removed_never_the_new_one(tmp_path, db, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    old = tmp_path / "b" / f"switchboard-{(datetime.now(UTC) - timedelta(days=20)):%Y%m%dT%H%M%SZ}"
    recent = (
        tmp_path / "b" / f"switchboard-{(datetime.now(UTC) - timedelta(days=2)):%Y%m%dT%H%M%SZ}"
    )
    unrelated = tmp_path / "b" / "keep-me"
    for path in (old, recent, unrelated):
        path.mkdir(parents=True)

    if connection.vendor != "postgresql":
        pytest.skip("the backup itself needs pg_dump here")
    call_command("backup", output_dir=str(tmp_path / "b"), keep_days=14)

    names = sorted(path.name for path in (tmp_path / "b").iterdir())
    assert old.name not in names
    assert recent.name in names
    assert "keep-me" in names
    assert len([n for n in names if n.startswith("switchboard-")]) == 2


def test_bad_arguments_get_a_clear_message(tmp_path, db):
    with pytest.raises(CommandError, match="keep-days"):
        call_command("backup", output_dir=str(tmp_path), keep_days=-1)
    with pytest.raises(CommandError, match="not a directory"):
        call_command("restore", str(tmp_path / "nothing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match=r"no manifest\.json"):
        call_command("restore", str(tmp_path / "empty"))
    with pytest.raises(CommandError, match="key file"):
        call_command("backup", output_dir=str(tmp_path), key_file=str(tmp_path / "missing"))
