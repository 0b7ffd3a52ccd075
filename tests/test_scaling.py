"""Past one machine: attachments on S3-compatible storage (a local moto server), and search and
exports read from a replica alias while every write stays on the primary."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from inbox.actions import IncomingFile
from inbox.models import Attachment
from tests.databases import database_url
from tests.factories import ContactFactory, inbound, inbox_with
from tests.fakes.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "switchboard-media"


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, settings):
    """MEDIA_STORAGE=s3 as config/settings.py builds it, against the local server."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="eu-central-1",
    )
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": "eu-central-1",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_attachments_are_stored_downloaded_and_erased_on_s3(
    s3, client_for, alice, ada, django_capture_on_commit_callbacks
):
    service = inbox_with("Service", members=[alice])
    pdf = b"%PDF-1.4 Lieferschein 4711"
    message = inbound(
        service,
        address="+49 170 5550123",
        body="Anbei der Lieferschein",
        attachments=[IncomingFile("Lieferschein.pdf", "application/pdf", pdf)],
    )
    attachment = Attachment.objects.get(message=message)

    [key] = _keys(s3)
    assert key == attachment.file.name
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == pdf
    # Private: no public-read ACL on the object.
    grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert all("AllUsers" not in str(grant.get("Grantee")) for grant in grants)

    response = client_for(alice).get(reverse("inbox:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf

    contact = message.conversation.contact
    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        deleted = client_for(ada).post(reverse("contacts:delete", args=[contact.pk]))
    assert deleted.status_code == 302
    assert _keys(s3) == []


def _run(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST")) and key not in {"REDIS_URL", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**base, "SECRET_KEY": "x", "DEBUG": "true", "ALLOWED_HOSTS": "testserver", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


PROBE = """
import json, os
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
django.setup()
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import User

client = Client()
client.force_login(User.objects.get(email="alice@nordlicht.example"))
result = {"aliases": sorted(connections.settings)}
for name, url in [
    ("contacts", "/contacts/?q=Hallonberg"),
    ("messages", "/inbox/?q=Lieferschein"),
    ("list", "/inbox/"),
]:
    with CaptureQueriesContext(connections["default"]) as primary, \\
            CaptureQueriesContext(connections["replica"]) as replica:
        response = client.get(url)
    result[name] = {
        "status": response.status_code,
        "found": "Hallonberg" in response.content.decode() or
                 "Lieferschein" in response.content.decode(),
        "primary": [q["sql"] for q in primary.captured_queries],
        "replica": [q["sql"] for q in replica.captured_queries],
    }
print(json.dumps(result))
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a replica alias is PostgreSQL")
def test_search_reads_from_the_replica_and_the_door_and_writes_stay_on_the_primary(
    transactional_db, alice
):
    service = inbox_with("Service", members=[alice])
    ContactFactory(first_name="Greta", last_name="Hallonberg")
    inbound(service, address="+49 170 5550199", body="Wo ist mein Lieferschein?")
    url = database_url()

    result = _run({"DATABASE_URL": url, "DATABASE_REPLICA_URL": url}, PROBE)

    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["aliases"] == ["default", "replica"]
    for name in ("contacts", "messages"):
        page = probe[name]
        assert page["status"] == 200, name
        assert page["found"], name
        assert any(
            "contacts_contact" in sql or "inbox_conversation" in sql for sql in page["replica"]
        )
        # The session, the user and the rights are read on the primary.
        assert any("accounts_user" in sql for sql in page["primary"]), name
    messages = probe["messages"]
    assert any("search" in sql for sql in messages["replica"])
    assert not any("@@" in sql for sql in messages["primary"])
    # The plain list is the hot path and stays on the primary.
    assert probe["list"]["replica"] == []


SETUP = (
    "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup()"
)


def test_a_replica_url_must_be_postgres_and_s3_needs_a_bucket():
    bad = _run(
        {"DATABASE_REPLICA_URL": "mysql://db/x"},
        SETUP,
    )
    assert bad.returncode != 0
    assert "DATABASE_REPLICA_URL must be a postgres:// URL" in bad.stderr

    no_bucket = _run(
        {"MEDIA_STORAGE": "s3"},
        SETUP,
    )
    assert no_bucket.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME" in no_bucket.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PgBouncer fronts PostgreSQL")
def test_behind_pgbouncer_there_are_no_server_side_cursors_or_named_prepared_statements():
    show = SETUP + (
        "; from django.conf import settings as s; d = s.DATABASES['default']"
        "; print(d.get('DISABLE_SERVER_SIDE_CURSORS', False), d['OPTIONS']['prepare_threshold'])"
    )
    url = database_url("switchboard")

    behind = _run({"DATABASE_URL": url, "DATABASE_PGBOUNCER": "true"}, show)
    direct = _run({"DATABASE_URL": url}, show.replace("d['OPTIONS']['prepare_threshold']", "1"))

    assert behind.stdout.split() == ["True", "None"], behind.stderr
    assert direct.stdout.split() == ["False", "1"], direct.stderr
