"""The opsdesk command line."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from opsdesk.cli import COMMANDS, usage
from opsdesk.core.models import AuditEntry, Team, User
from opsdesk.core.roles import is_admin


def test_help_lists_every_opsdesk_command(capsys):
    from opsdesk.cli import main

    main(["opsdesk", "--help"])
    out = capsys.readouterr().out
    for name in ("serve", "web", "worker", "migrate", "createadmin", "token", "demo", "audit"):
        assert name in COMMANDS and f"  {name}" in out
    assert out == usage() + "\n"


@pytest.mark.django_db
def test_createadmin_prints_password_once(capsys, monkeypatch):
    monkeypatch.delenv("OPSDESK_ADMIN_PASSWORD", raising=False)
    call_command("createadmin")
    first = capsys.readouterr().out
    password = first.rsplit("password: ", 1)[1].strip()
    admin = User.objects.get(username="admin")
    assert admin.check_password(password) and is_admin(admin) and admin.is_staff
    assert AuditEntry.objects.filter(action="user.created", source="cli").exists()
    call_command("createadmin")
    again = capsys.readouterr().out
    assert password not in again and "exists already" in again


@pytest.mark.django_db
def test_createadmin_takes_the_password_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("OPSDESK_ADMIN_PASSWORD", "a long chosen passphrase")
    call_command("createadmin")
    assert "a long chosen passphrase" not in capsys.readouterr().out
    assert User.objects.get(username="admin").check_password("a long chosen passphrase")


@pytest.mark.django_db
def test_demo_is_idempotent_and_shows_progress(capsys):
    call_command("demo")
    out = capsys.readouterr().out
    assert "[core]" in out and "Demo data ready" in out
    counts = (User.objects.count(), Team.objects.count())
    assert counts[1] == 8 and counts[0] > 50
    call_command("demo")
    assert (User.objects.count(), Team.objects.count()) == counts
    call_command("demo", "--if-empty")
    assert "not loaded" in capsys.readouterr().out


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "OPSDESK_DATA_DIR": str(tmp_path),
        "OPSDESK_SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
        "OPSDESK_DEBUG": "false",
        "OPSDESK_HTTPS": "true",
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "opsdesk.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_bad_configuration_value_is_named(tmp_path):
    env = {
        **os.environ,
        "OPSDESK_DATA_DIR": str(tmp_path),
        "OPSDESK_DEBUG": "perhaps",
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "opsdesk.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "OPSDESK_DEBUG must be true or false" in result.stderr
