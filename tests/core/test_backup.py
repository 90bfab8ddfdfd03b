"""Backup and restore: one archive restores into an empty instance on the other database with
every row and file as it was, and the audit chain intact; bad archives and targets are refused."""

import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from opsdesk.core.attachments import attachment_store
from opsdesk.core.backup import backup, read_manifest, restore
from opsdesk.core.errors import DomainError
from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.core.testing.peers import require_peer
from opsdesk.incidents import services as incidents

PG_ADMIN = os.environ.get(
    "OPSDESK_TEST_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
PDF = b"%PDF-1.4 the caller's screenshot of the VPN error\n"

POPULATE = """
from django.core.files.uploadedfile import SimpleUploadedFile
from opsdesk.core.attachments import attachment_store
from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.core.testing.peers import require_peer
from opsdesk.incidents import services as incidents
PDF = PDF_BYTES
desk = TeamFactory(name="Service Desk")
dana = agent(username="dana")
desk.members.add(dana)
alice = requester(username="alice", department="Finance")
incident = incidents.incident_open(
    actor=alice, caller=alice, short_description="VPN drops every hour", description="Since Monday"
)
incidents.incident_comment(actor=dana, incident=incident, body="Which **client** version?")
incidents.incident_assign(actor=dana, incident=incident, assignment_group=desk, assignee=dana)
attachment_store(record=incident, upload=SimpleUploadedFile("error.pdf", PDF), uploaded_by=alice)
""".replace("PDF_BYTES", repr(PDF))

SNAPSHOT = """
import json, sys
from django.core.files.storage import default_storage
from opsdesk.core.backup import instance_snapshot
from opsdesk.core.models import Attachment
files = {
    a.file.name: default_storage.open(a.file.name).read().hex() for a in Attachment.objects.all()
}
json.dump({"rows": instance_snapshot(), "files": files}, sys.stdout, sort_keys=True)
"""


def _instance(tmp_path: Path, name: str, database_url: str | None) -> dict:
    # Each instance its own data and configuration (audit checkpoint); the audit key is the
    # one the suite sets, carried to the new instance as an operator carries it.
    env = {
        **os.environ,
        "OPSDESK_DATA_DIR": str(tmp_path / name),
        "OPSDESK_CONFIG_DIR": str(tmp_path / f"{name}-config"),
        "TMPDIR": str(tmp_path),
    }
    env.pop("OPSDESK_DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if database_url:
        env["OPSDESK_DATABASE_URL"] = database_url
    return env


def _opsdesk(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "opsdesk.cli", *args]
    result = subprocess.run(command, env=env, input=stdin, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _python(env, code: str) -> str:
    program = "import django, os\nos.environ['DJANGO_SETTINGS_MODULE']='opsdesk.settings'\n"
    program += "django.setup()\n" + code
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def scratch_postgres():
    """A new, empty PostgreSQL database for the restored instance, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_peer("PostgreSQL", f"the restore into PostgreSQL needs {PG_ADMIN}: {exc}")
    name = f"opsdesk_restore_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="runs once, in the SQLite pass: it starts instances on both databases itself",
)
def test_sqlite_to_postgresql_and_back_keeps_every_row_and_file(tmp_path, scratch_postgres):
    source = _instance(tmp_path, "source", None)
    _opsdesk(source, "migrate", "-v0")
    _python(source, POPULATE)
    original = json.loads(_python(source, SNAPSHOT))
    assert original["files"] and original["rows"]["incidents.incident"]

    first = tmp_path / "from-sqlite.zip"
    _opsdesk(source, "backup", str(first))
    on_postgres = _instance(tmp_path, "on-postgres", scratch_postgres)
    _opsdesk(on_postgres, "migrate", "-v0")
    restored = _opsdesk(on_postgres, "restore", str(first))
    assert "audit chain intact" in restored.stdout
    assert json.loads(_python(on_postgres, SNAPSHOT)) == original

    second = tmp_path / "from-postgres.zip"
    _opsdesk(on_postgres, "backup", str(second))
    back = _instance(tmp_path, "back-on-sqlite", None)
    _opsdesk(back, "migrate", "-v0")
    _opsdesk(back, "restore", str(second))
    assert json.loads(_python(back, SNAPSHOT)) == original
    _opsdesk(back, "audit", "verify")


# --- in this test database --------------------------------------------------------------------


@pytest.fixture
def populated(db, attachment_dir):
    desk = TeamFactory(name="Service Desk")
    dana = agent(username="dana")
    desk.members.add(dana)
    alice = requester(username="alice")
    incident = incidents.incident_open(actor=alice, caller=alice, short_description="VPN drops")
    attachment_store(record=incident, upload=SimpleUploadedFile("error.pdf", PDF))
    return incident


def test_backup_holds_rows_files_and_a_manifest(populated, tmp_path):
    path = tmp_path / "backup.zip"
    messages = []
    report = backup(path, progress=messages.append)
    manifest = read_manifest(path)
    assert manifest["rows"]["incidents.incident"] == 1
    assert manifest["database"] == connection.vendor
    assert report.files == 1 and not report.missing_files
    with zipfile.ZipFile(path) as archive:
        (name,) = manifest["files"]
        assert archive.read(f"files/{name}") == PDF
        (line,) = archive.read("data/incidents.incident.jsonl").splitlines()
    # Microseconds kept: the audit chain hashes exact times.
    stored = json.loads(line)["fields"]["opened_at"]
    assert stored == populated.opened_at.isoformat()
    assert any("incidents.incident: 1 rows" in m for m in messages)
    assert not (tmp_path / "backup.zip.partial").exists()


def test_restore_refuses_an_instance_that_has_data(populated, tmp_path):
    path = tmp_path / "backup.zip"
    backup(path, progress=lambda _: None)
    with pytest.raises(DomainError) as refused:
        restore(path, progress=lambda _: None)
    assert refused.value.code == "restore_target_not_empty"
    with pytest.raises(CommandError, match="already has data"):
        call_command("restore", str(path))


def test_restore_refuses_what_is_not_a_backup(db, tmp_path):
    junk = tmp_path / "notes.zip"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(CommandError, match="is not an opsdesk backup"):
        call_command("restore", str(junk))
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": 99}))
    with pytest.raises(DomainError, match="format 99"):
        restore(other)


def test_restore_refuses_a_backup_of_another_schema_version(db, tmp_path):
    path = tmp_path / "backup.zip"
    backup(path, progress=lambda _: None)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["migrations"].append(["incidents", "9999_from_the_future"])
    members["manifest.json"] = json.dumps(manifest).encode()
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(newer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(DomainError, match="different schema version") as refused:
        restore(newer)
    assert "9999_from_the_future" in refused.value.message
