"""Backups and restores of the whole installation: the database and the media files.

A backup is one directory, `switchboard-<UTC time>/`, holding

    database.dump      pg_dump's custom format (PostgreSQL), or a copy of the SQLite file
    media.tar.gz       every file under MEDIA_ROOT (attachments)
    manifest.json      when, which migrations, the row count of every table, the media files
                       with their sizes and SHA-256, and whether the two files are encrypted

With a key (BACKUP_ENCRYPTION_KEY, any passphrase), both files are encrypted at rest
(`.enc`): AES-256-GCM in 1 MiB chunks, the key derived from the passphrase with scrypt and a
salt per file, each chunk's nonce and "last chunk" flag bound to it, so a truncated or altered
file is refused on restore rather than restored in part. Keep the key apart from the backups.

`restore` checks the manifest, decrypts, loads the dump into an empty database (pg_restore),
unpacks the media (never outside MEDIA_ROOT), and compares every table's row count and every
file's checksum with the manifest.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder

MAGIC = b"SBBACKUP1"
CHUNK = 1024 * 1024
PREFIX = "switchboard-"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


# --- encryption -----------------------------------------------------------------------------


def _derive(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def encrypt_file(source: Path, target: Path, passphrase: str) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, prefix = os.urandom(16), os.urandom(8)
    cipher = AESGCM(_derive(passphrase, salt))
    with source.open("rb") as plain, target.open("wb") as out:
        out.write(MAGIC + salt + prefix)
        counter = 0
        chunk = plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            last = not following
            nonce = prefix + struct.pack(">I", counter)
            sealed = cipher.encrypt(nonce, chunk, b"last" if last else b"more")
            out.write(struct.pack(">I", len(sealed)) + sealed)
            if last:
                return
            chunk, counter = following, counter + 1


def decrypt_file(source: Path, target: Path, passphrase: str) -> None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    with source.open("rb") as sealed_file, target.open("wb") as out:
        header = sealed_file.read(len(MAGIC) + 24)
        if not header.startswith(MAGIC):
            raise BackupError(f"{source.name} is not an encrypted Switchboard backup file.")
        salt, prefix = header[len(MAGIC) : len(MAGIC) + 16], header[len(MAGIC) + 16 :]
        cipher = AESGCM(_derive(passphrase, salt))
        counter, finished = 0, False
        while not finished:
            size_bytes = sealed_file.read(4)
            if len(size_bytes) < 4:
                raise BackupError(f"{source.name} is truncated (its last part is missing).")
            sealed = sealed_file.read(struct.unpack(">I", size_bytes)[0])
            nonce = prefix + struct.pack(">I", counter)
            try:
                out.write(cipher.decrypt(nonce, sealed, b"more"))
            except InvalidTag:
                try:
                    out.write(cipher.decrypt(nonce, sealed, b"last"))
                except InvalidTag as exc:
                    raise BackupError(
                        f"{source.name} cannot be decrypted: a wrong key, or the file was altered."
                    ) from exc
                finished = True
            counter += 1
        if sealed_file.read(1):
            raise BackupError(f"{source.name} has data after its last part.")


# --- what is in the database and the media ---------------------------------------------------


def _tables(using: str = "default") -> list[str]:
    names = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    names.add("django_migrations")
    existing = set(connections[using].introspection.table_names())
    return sorted(names & existing)


def row_counts(using: str = "default") -> dict[str, int]:
    """The exact row count of every table the installed apps own (a backup is not a page:
    exact counts are what a restore is compared with)."""
    db = connections[using]
    quote = db.ops.quote_name
    counts = {}
    with db.cursor() as cursor:
        for table in _tables(using):
            cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 - names from models
            counts[table] = int(cursor.fetchone()[0])
    return counts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def media_files(root: Path) -> dict[str, dict[str, Any]]:
    files = {}
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                files[path.relative_to(root).as_posix()] = {
                    "size": path.stat().st_size,
                    "sha256": _sha256(path),
                }
    return files


# --- PostgreSQL and SQLite --------------------------------------------------------------------


def _libpq_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """Connection settings as libpq's environment, so no password is on a command line."""
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    binary = shutil.which(command[0])
    if binary is None:
        raise BackupError(
            f"{command[0]} is not installed; install PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client)."
        )
    result = subprocess.run(  # noqa: S603 - fixed tools, arguments built here
        [binary, *command[1:]], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _dump_database(target: Path) -> None:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"],
            _libpq_env(db),
        )
    elif connection.vendor == "sqlite":
        source = sqlite3.connect(str(db["NAME"]))
        copy = sqlite3.connect(str(target))
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
    else:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {connection.vendor}.")


# --- backup -----------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    size: int
    tables: int
    rows: int
    files: int
    encrypted: bool
    removed: list[Path] = field(default_factory=list)


def backup(
    directory: Path, *, passphrase: str = "", keep_days: int = 0, media_root: Path | None = None
) -> BackupResult:
    """Write a backup into a new directory under `directory`; then, with keep_days, remove the
    backups older than that (never the new one). Returns what was written."""
    media = Path(media_root or settings.MEDIA_ROOT)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"{PREFIX}{stamp}"
    partial = directory / f".{PREFIX}{stamp}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        counts = row_counts()
        files = media_files(media)
        _dump_database(partial / "database.dump")
        with tarfile.open(partial / "media.tar.gz", "w:gz") as archive:
            for name in files:
                archive.add(media / name, arcname=name, recursive=False)
        if passphrase:
            for name in ("database.dump", "media.tar.gz"):
                encrypt_file(partial / name, partial / f"{name}.enc", passphrase)
                (partial / name).unlink()
        recorder = MigrationRecorder(connection)
        manifest = {
            "format": 1,
            "created_at": datetime.now(UTC).isoformat(),
            "database_vendor": connection.vendor,
            "encrypted": bool(passphrase),
            "migrations": sorted(f"{m.app}.{m.name}" for m in recorder.migration_qs.all()),
            "row_counts": counts,
            "media": files,
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    removed = remove_old(directory, keep_days, keep=target) if keep_days else []
    return BackupResult(
        path=target,
        size=sum(path.stat().st_size for path in target.iterdir()),
        tables=len(counts),
        rows=sum(counts.values()),
        files=len(files),
        encrypted=bool(passphrase),
        removed=removed,
    )


def backups_in(directory: Path) -> Iterator[tuple[datetime, Path]]:
    if not directory.is_dir():
        return
    for path in sorted(directory.iterdir()):
        if not (path.is_dir() and path.name.startswith(PREFIX)):
            continue
        try:
            created = datetime.strptime(path.name[len(PREFIX) :], "%Y%m%dT%H%M%SZ")
        except ValueError:
            continue
        yield created.replace(tzinfo=UTC), path


def remove_old(directory: Path, keep_days: int, *, keep: Path) -> list[Path]:
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    removed = []
    for created, path in backups_in(directory):
        if created < cutoff and path != keep:
            shutil.rmtree(path)
            removed.append(path)
    return removed


# --- restore ----------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    tables: int
    rows: int
    files: int
    mismatches: list[str]


def _manifest(path: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((path / "manifest.json").read_text())
    except FileNotFoundError as exc:
        raise BackupError(f"{path} has no manifest.json: not a Switchboard backup.") from exc
    except ValueError as exc:
        raise BackupError(f"{path}/manifest.json is not valid JSON.") from exc
    if manifest.get("format") != 1:
        raise BackupError(f"{path} was written by an unknown backup format.")
    return manifest


def _plain(path: Path, name: str, manifest: dict[str, Any], passphrase: str, work: Path) -> Path:
    if not manifest["encrypted"]:
        return path / name
    if not passphrase:
        raise BackupError("This backup is encrypted: set BACKUP_ENCRYPTION_KEY (or --key-file).")
    decrypt_file(path / f"{name}.enc", work / name, passphrase)
    return work / name


def _is_empty(using: str) -> bool:
    counts = row_counts(using)
    counts.pop("django_migrations", None)
    return not any(counts.values())


def restore(
    path: Path,
    *,
    using: str = "default",
    passphrase: str = "",
    media_root: Path | None = None,
    force: bool = False,
) -> RestoreResult:
    """Restore the backup at `path` into the database `using` (which must hold no rows unless
    `force`) and `media_root`, then compare with the manifest."""
    manifest = _manifest(path)
    media = Path(media_root or settings.MEDIA_ROOT)
    db = connections[using]
    if manifest["database_vendor"] != db.vendor:
        raise BackupError(
            f"The backup is of a {manifest['database_vendor']} database; this one is {db.vendor}."
        )
    if db.vendor == "postgresql":
        db.ensure_connection()
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename = 'django_migrations'"
            )
            has_tables = bool(cursor.fetchone()[0])
        if has_tables and not force and not _is_empty(using):
            raise BackupError(
                "The target database holds data; restore into an empty database, or pass "
                "--force to replace what is there."
            )
    work = path.parent / f".restore-{int(time.time())}-{os.getpid()}"
    work.mkdir()
    try:
        dump = _plain(path, "database.dump", manifest, passphrase, work)
        archive = _plain(path, "media.tar.gz", manifest, passphrase, work)
        if db.vendor == "postgresql":
            db.close()
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    f"--dbname={db.settings_dict['NAME']}",
                    str(dump),
                ],
                _libpq_env(db.settings_dict),
            )
        else:
            db.close()
            shutil.copyfile(dump, str(db.settings_dict["NAME"]))
        media.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(media, filter="data")  # refuses paths outside MEDIA_ROOT
    finally:
        shutil.rmtree(work, ignore_errors=True)
    counts = row_counts(using)
    files = media_files(media)
    mismatches = [
        f"{table}: {expected} rows in the backup, {counts.get(table)} restored"
        for table, expected in manifest["row_counts"].items()
        if counts.get(table) != expected
    ]
    mismatches += [
        f"media {name}: missing or different"
        for name, info in manifest["media"].items()
        if files.get(name, {}).get("sha256") != info["sha256"]
    ]
    return RestoreResult(
        tables=len(counts),
        rows=sum(counts.values()),
        files=len(manifest["media"]),
        mismatches=mismatches,
    )


def read_key(value: str = "", key_file: str = "") -> str:
    """The passphrase: from --key-file, else BACKUP_ENCRYPTION_KEY; '' for none."""
    if key_file:
        try:
            return Path(key_file).read_text().strip()
        except OSError as exc:
            raise BackupError(f"Cannot read the key file {key_file}: {exc.strerror}") from exc
    return value or getattr(settings, "BACKUP_ENCRYPTION_KEY", "")


def describe_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
