"""CSV import of contacts (issue 12's target: 100,000 rows at ≥ 1,000 rows/s with the
worker's peak memory under 300 MB, the file streamed, never held whole in memory).

    .venv/bin/python benchmarks/contact_import.py [--rows 100000] [--bad-every 200]
        [--database-url postgres://postgres@127.0.0.1:5432/switchboard_import_bench]
        [--redis-url redis://127.0.0.1:6379/13] [--keep]

Creates and migrates a dedicated database (its name must contain "bench"; the contact tables
are emptied first unless --keep), writes a CSV of `--rows` people (first and last name,
e-mail, phone, company, a custom attribute, a tags column; semicolons, UTF-8 with BOM, every
`--bad-every`-th e-mail broken) into a temporary MEDIA_ROOT, uploads it through the same
action as the page (contacts.csv_import.actions.upload_import: encoding check and row count
streamed), and starts one Celery worker (solo pool, DEBUG off) on a private queue over Redis.
It then runs the dry run and the import through the tasks, exactly as the page does, and
reports rows/s of each (from the import's own started/finished times) and the worker's peak
resident memory (VmHWM from /proc/<pid>/status), with its resident memory before the work
for comparison. Talks only to 127.0.0.1 and stops by itself (a time budget per phase).
"""

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from benchmarks.contacts import LOCAL_HOSTS, CpuMeter, create_database, header  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/switchboard_import_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
QUEUE = "switchboard-import-bench"
PHASE_BUDGET = 900
TARGET_RATE, TARGET_PEAK_MB = 1_000.0, 300.0
FIRST = ["Anna", "Erik", "Jürgen", "Åsa", "Lena", "Mats", "Sofie", "Björn", "Maria", "Jonas"]
LAST = ["Müller", "Andersson", "Schmidt", "Öberg", "Nilsson", "Weiß", "Lindqvist", "Koch"]


def main() -> int:
    args = parse_args()
    parts = urlsplit(args.database_url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"--database-url must name PostgreSQL on this machine, got {args.database_url}")
    database = parts.path.lstrip("/")
    if "bench" not in database:
        sys.exit(f"Refusing to use {database!r}: the database name must contain 'bench'.")
    if urlsplit(args.redis_url).hostname not in LOCAL_HOSTS:
        sys.exit("--redis-url must be on this machine")
    media = Path(tempfile.mkdtemp(prefix="import-bench-"))
    env = {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_QUEUE": QUEUE,
        "MEDIA_ROOT": str(media),
        "MEDIA_STORAGE": "filesystem",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "benchmark-only-not-a-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    create_database(args.database_url, database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    worker = None
    try:
        user = prepare(keep=args.keep)
        csv_path = media / "contacts.csv"
        started = time.monotonic()
        write_csv(csv_path, args.rows, args.bad_every)
        size_mb = csv_path.stat().st_size / 1024 / 1024
        print(f"Wrote {args.rows:,} rows ({size_mb:.1f} MB) in {time.monotonic() - started:.1f} s")
        contact_import = upload(csv_path, user)
        worker = start_worker(env)
        from django.db import connection

        meter = CpuMeter(backend_pid=connection.connection.info.backend_pid)
        meter.wait_for_quiet(limit_seconds=120)
        baseline = rss_mb(worker.pid, "VmRSS")
        dry = run_phase(contact_import.pk, user, dry=True)
        dry_others = meter.others_share()
        imported = run_phase(contact_import.pk, user, dry=False)
        others = meter.others_share()
        peak = rss_mb(worker.pid, "VmHWM")
        report(args.rows, size_mb, dry, dry_others, imported, others, baseline, peak)
        return 0 if imported["rate"] >= TARGET_RATE and peak < TARGET_PEAK_MB else 1
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        shutil.rmtree(media, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bad-every", type=int, default=200)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--keep", action="store_true", help="do not empty the contact tables")
    return parser.parse_args()


def prepare(*, keep: bool):
    from accounts.models import Organisation, Role, User
    from contacts.attributes import ensure_builtin_definitions
    from contacts.models import AttributeDefinition, Contact, ContactImport, Tag

    Organisation.load()
    ensure_builtin_definitions()
    AttributeDefinition.objects.get_or_create(
        key="customer_tier", defaults={"label": "Kundenstufe", "type": "text", "position": 99}
    )
    if not keep:
        print("Emptying the contact tables …", flush=True)
        from django.db import connection

        with connection.cursor() as cursor:
            for model in (Contact, ContactImport, Tag):
                cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    user, _created = User.objects.get_or_create(
        email="import-bench@nordlicht.example",
        defaults={"display_name": "Import Bench", "role": Role.MANAGER},
    )
    return user


def write_csv(path: Path, rows: int, bad_every: int) -> None:
    rng = random.Random(20251201)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(
            ["Vorname", "Nachname", "E-Mail", "Telefon", "Firma", "Kundenstufe", "Tags"]
        )
        for n in range(rows):
            email = f"kunde{n}@beispiel.example"
            if bad_every and n % bad_every == bad_every - 1:
                email = f"kunde{n}(at)beispiel"
            writer.writerow(
                [
                    rng.choice(FIRST),
                    rng.choice(LAST),
                    email,
                    f"+49151{n:08d}",
                    f"Firma {n % 500} GmbH",
                    rng.choice(["gold", "silber", "bronze"]),
                    rng.choice(["", "vip", "messe; hamburg"]),
                ]
            )


def upload(path: Path, user):
    from django.core.files import File

    from contacts.csv_import import actions

    started = time.monotonic()
    with path.open("rb") as source:
        contact_import = actions.upload_import(upload=File(source, name=path.name), actor=user)
    print(
        f"Upload checked and stored ({contact_import.encoding}, '{contact_import.delimiter}', "
        f"{contact_import.total_rows:,} rows) in {time.monotonic() - started:.1f} s"
    )
    from contacts.csv_import.mapping import suggest
    from contacts.models import AttributeDefinition

    contact_import.mapping = suggest(contact_import.header, list(AttributeDefinition.objects.all()))
    contact_import.tags = ["benchmark"]
    contact_import.save(update_fields=["mapping", "tags"])
    print(f"Mapping: {dict(zip(contact_import.header, contact_import.mapping, strict=True))}")
    return contact_import


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    queue = f"{QUEUE}.bulk"
    worker = subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    time.sleep(5)
    if worker.poll() is not None:
        sys.exit("The Celery worker did not start.")
    return worker


def run_phase(import_id: int, user, *, dry: bool) -> dict[str, float]:
    from django.db import transaction

    from contacts.csv_import import actions
    from contacts.csv_import.models import ContactImport

    contact_import = ContactImport.objects.get(pk=import_id)
    with transaction.atomic():
        if dry:
            assert actions.start_dry_run(contact_import, actor=user)
        else:
            assert actions.start_import(contact_import, actor=user)
    goal = "dry_run_done" if dry else "completed"
    deadline = time.monotonic() + PHASE_BUDGET
    last_print = 0.0
    while True:
        contact_import = ContactImport.objects.get(pk=import_id)
        if contact_import.status == goal:
            break
        if contact_import.status in ("failed", "cancelled"):
            sys.exit(f"The {'dry run' if dry else 'import'} ended {contact_import.status}.")
        if time.monotonic() > deadline:
            sys.exit(f"Still {contact_import.status} after {PHASE_BUDGET} s.")
        if time.monotonic() - last_print > 10:
            print(f"  {contact_import.status}: {contact_import.processed_rows:,} rows", flush=True)
            last_print = time.monotonic()
        time.sleep(0.5)
    if dry:
        # The dry run's own times are reset when it finishes; its wall time from this side.
        result = dict(contact_import.dry_run)
        result.pop("first_errors", None)
        result["seconds"] = time.monotonic() - (deadline - PHASE_BUDGET)
    else:
        finished, began = contact_import.finished_at, contact_import.started_at
        assert finished is not None and began is not None
        seconds = (finished - began).total_seconds()
        result = {
            "created": contact_import.created_count,
            "updated": contact_import.updated_count,
            "unchanged": contact_import.unchanged_count,
            "errors": contact_import.error_count,
            "rows": contact_import.processed_rows,
            "seconds": seconds,
        }
    result["rate"] = result["rows"] / result["seconds"]
    return result


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def report(rows, size_mb, dry, dry_others, imported, others, baseline, peak) -> None:
    header(f"CSV import of {rows:,} rows ({size_mb:.1f} MB)")
    for label, result, share in (("dry run", dry, dry_others), ("import", imported, others)):
        print(
            f"  {label:<8} {result['rows']:>8,} rows in {result['seconds']:6.1f} s = "
            f"{result['rate']:7.0f} rows/s  (created {result['created']:,}, updated "
            f"{result['updated']:,}, unchanged {result['unchanged']:,}, errors "
            f"{result['errors']:,}); other processes used {share:.0%} of the CPUs"
        )
    met_rate = "met" if imported["rate"] >= TARGET_RATE else "MISSED"
    met_peak = "met" if peak < TARGET_PEAK_MB else "MISSED"
    print(f"  target ≥ {TARGET_RATE:.0f} rows/s: {met_rate}")
    print(
        f"  worker RSS before {baseline:.0f} MB, peak (VmHWM) {peak:.0f} MB; "
        f"target < 300 MB: {met_peak}"
    )


if __name__ == "__main__":
    sys.exit(main())
