"""python manage.py backup — the database and the media files into one dated directory."""

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lib import backups


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, custom format) and the media files into a new "
        "directory switchboard-<UTC time>/ under --output-dir (BACKUP_DIR), encrypted when "
        "BACKUP_ENCRYPTION_KEY or --key-file gives a key, and remove backups older than "
        "--keep-days (BACKUP_KEEP_DAYS). With --every HOURS it keeps running and backs up on "
        "that schedule (the compose `backup` service)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output-dir", default=str(settings.BACKUP_DIR))
        parser.add_argument("--keep-days", type=int, default=settings.BACKUP_KEEP_DAYS)
        parser.add_argument("--key-file", default="", help="a file holding the passphrase")
        parser.add_argument(
            "--every", type=float, default=0, help="hours between backups; 0 = once (default)"
        )
        parser.add_argument(
            "--check",
            type=float,
            default=0,
            metavar="HOURS",
            help="write nothing; exit 0 when the newest backup is younger than HOURS "
            "(the compose health check)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self._check(Path(options["output_dir"]), options["check"])
            return
        if options["keep_days"] < 0:
            raise CommandError("--keep-days must be 0 (keep all) or more.")
        if options["every"] < 0:
            raise CommandError("--every must be a number of hours, 0 for once.")
        try:
            passphrase = backups.read_key(key_file=options["key_file"])
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        directory = Path(options["output_dir"])
        while True:
            self._once(directory, passphrase, options["keep_days"])
            if not options["every"]:
                return
            time.sleep(options["every"] * 3600)

    def _check(self, directory: Path, hours: float) -> None:
        found = sorted(backups.backups_in(directory))
        if not found:
            raise CommandError(f"No backup in {directory} yet.")
        created, path = found[-1]
        age = (datetime.now(UTC) - created).total_seconds() / 3600
        if age > hours:
            raise CommandError(f"The newest backup, {path.name}, is {age:.1f} hours old.")
        self.stdout.write(f"{path.name}: {age:.1f} hours old.")

    def _once(self, directory: Path, passphrase: str, keep_days: int) -> None:
        started = time.monotonic()
        try:
            result = backups.backup(directory, passphrase=passphrase, keep_days=keep_days)
        except (backups.BackupError, OSError) as exc:
            raise CommandError(f"Backup failed: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {result.tables} tables ({result.rows} rows) and {result.files} "
                f"media files to {result.path} ({backups.describe_size(result.size)}, "
                f"{'encrypted' if result.encrypted else 'NOT encrypted'}) "
                f"in {time.monotonic() - started:.1f} s."
            )
        )
        for old in result.removed:
            self.stdout.write(f"Removed {old} (older than {keep_days} days).")
