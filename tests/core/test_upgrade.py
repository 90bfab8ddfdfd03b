"""Upgrades: a database built by the last release's migrations, with its demo data, migrates to
today's schema without losing a record, and its audit chain still verifies."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
from django.db import connection

from opsdesk.core.testing.peers import require_peer

REPO = Path(__file__).resolve().parents[2]

COUNTS = """
import json
from django.apps import apps
from opsdesk.incidents.models import Incident
counts = {m._meta.label_lower: m._base_manager.count() for m in apps.get_models()
          if m._meta.app_label in {"core", "cmdb", "sla", "oncall", "incidents", "events",
                                   "servicedesk", "notifications"}}
first = Incident.objects.order_by("pk").values("number", "short_description", "state").first()
print(json.dumps({"counts": counts, "first": first}))
"""


def _last_release() -> str:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        require_peer("git", "the upgrade test builds the last release from this git checkout")
    found = subprocess.run(
        ["git", "describe", "--tags", "--abbrev=0", "--match", "v*"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    tag = found.stdout.strip()
    present = found.returncode == 0 and (
        subprocess.run(["git", "cat-file", "-e", f"{tag}^{{tree}}"], cwd=REPO).returncode == 0
    )
    if not present:
        # Repository history, not an installable peer: a shallow or tag-less clone cannot have
        # it, so this stays a skip with its reason even in CI.
        pytest.skip(f"no release tag with its files in this clone: {found.stderr.strip()}")
    return tag


def _release_source(tag: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", "--format=tar", tag, "src"], cwd=REPO, capture_output=True, check=True
    )
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _run(env, source: Path, *args, code: str | None = None) -> str:
    env = {**env, "PYTHONPATH": str(source)}
    if code is None:
        command = [sys.executable, "-m", "opsdesk.cli", *args]
    else:
        prelude = "import django, os\nos.environ['DJANGO_SETTINGS_MODULE']='opsdesk.settings'\n"
        command = [sys.executable, "-c", prelude + "django.setup()\n" + code]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="runs once, in the SQLite pass: it builds its own database from the release",
)
def test_the_last_release_with_demo_data_upgrades_to_today(tmp_path):
    tag = _last_release()
    old = _release_source(tag, tmp_path / tag)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSDESK_", "DJANGO_"))}
    env |= {
        "OPSDESK_DATA_DIR": str(tmp_path / "data"),
        "OPSDESK_CONFIG_DIR": str(tmp_path / "config"),
        "TMPDIR": str(tmp_path),
    }

    _run(env, old, "migrate", "-v0")
    _run(env, old, "demo")
    before = json.loads(_run(env, old, code=COUNTS))
    assert before["counts"]["incidents.incident"] > 100

    today = REPO / "src"
    _run(env, today, "migrate", "-v0")
    after = json.loads(_run(env, today, code=COUNTS))
    # Nothing lost; later data migrations may add seeded rows.
    for label, count in before["counts"].items():
        if label in after["counts"]:
            assert after["counts"][label] >= count, label
    assert after["first"] == before["first"]
    # The release kept no signed checkpoint: the upgrade's first step records today's end.
    _run(env, today, "audit", "checkpoint")
    assert "intact" in _run(env, today, "audit", "verify")
