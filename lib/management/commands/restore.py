"""python manage.py restore <backup directory> — into an empty database, then compared."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lib import backups


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` into the configured database (or "
        "--database, another alias) and MEDIA_ROOT (or --media-root), then compare every "
        "table's row count and every media file's checksum with the backup's manifest. The "
        "database must be empty (a new database, migrated or not) unless --force. Stop web, "
        "workers and beat first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="the backup's directory (switchboard-<time>)")
        parser.add_argument("--database", default="default")
        parser.add_argument("--media-root", default="")
        parser.add_argument("--key-file", default="", help="a file holding the passphrase")
        parser.add_argument("--force", action="store_true", help="replace a non-empty database")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["backup"])
        if not path.is_dir():
            raise CommandError(f"{path} is not a directory.")
        try:
            passphrase = backups.read_key(key_file=options["key_file"])
            result = backups.restore(
                path,
                using=options["database"],
                passphrase=passphrase,
                media_root=Path(options["media_root"]) if options["media_root"] else None,
                force=options["force"],
            )
        except (backups.BackupError, OSError) as exc:
            raise CommandError(f"Restore failed: {exc}") from exc
        if result.mismatches:
            for line in result.mismatches:
                self.stderr.write(line)
            raise CommandError(
                f"Restored, but {len(result.mismatches)} tables or files differ from the backup."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {result.tables} tables ({result.rows} rows) and {result.files} media "
                "files; every count and checksum matches the backup."
            )
        )
