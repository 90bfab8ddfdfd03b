"""The audit trail: written with the change, sealed with a key, and tampering is caught."""

import itertools
import json
import stat

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from opsdesk import config
from opsdesk.core import audit
from opsdesk.core.audit import (
    GENESIS_HASH,
    AuditKeyError,
    CheckpointError,
    audit_key,
    audit_record,
    audit_verify,
    checkpoint_write,
    entry_digest,
)
from opsdesk.core.context import action_context
from opsdesk.core.models import AuditEntry
from opsdesk.core.services import team_create, team_update
from opsdesk.core.testing.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoint_file(settings, tmp_path):
    """This test's own checkpoint, written after every audited commit as in production."""
    path = tmp_path / "config" / "audit_checkpoint.json"
    settings.AUDIT_CHECKPOINT_FILE = str(path)
    settings.OPSDESK_AUDIT_CHECKPOINT_AFTER_COMMIT = True
    return path


@pytest.fixture
def changes(admin_user_, checkpoint_file, django_capture_on_commit_callbacks):
    """changes("ABC"): one audited team per letter, each committed (so checkpointed)."""

    def make(names):
        for name in names:
            with django_capture_on_commit_callbacks(execute=True):
                team_create(actor=admin_user_, name=name)
        return list(AuditEntry.objects.order_by("id"))

    return make


def _tamper(sql: str, params: list) -> None:
    """Change rows behind opsdesk's back, as someone with write access to the database would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Superusers can switch triggers off; the keyed chain still catches them.
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            # Whoever can write the SQLite file can drop its triggers (rolled back after the test).
            cursor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_delete")
        cursor.execute(sql, params)


def _verify_command() -> tuple[int, str]:
    """`opsdesk audit verify`: its exit status and what it said."""
    try:
        call_command("audit", "verify")
    except CommandError as error:
        return error.returncode, str(error)
    return 0, ""


def test_change_writes_entry_with_before_and_after(admin_user_):
    team = TeamFactory(name="Network", description="old")
    team_update(actor=admin_user_, team=team, description="new")
    entry = AuditEntry.objects.filter(object_id=str(team.pk)).last()
    assert entry.action == "team.updated"
    assert entry.actor == admin_user_
    assert entry.changes == {"description": {"from": "old", "to": "new"}}


def test_entries_chain_by_keyed_hash(changes):
    first, second = changes("AB")
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    assert (first.seq, second.seq) == (1, 2)
    assert first.key_id == second.key_id == audit_key().key_id
    # Not a plain hash of the content: without the key it cannot be recomputed.
    assert entry_digest(AuditEntry(**{**_fields(first), "key_id": ""})) != first.entry_hash
    assert audit_verify().ok


def test_source_and_request_id_come_from_the_context(admin_user_):
    with action_context(source="worker", request_id="req-42"), transaction.atomic():
        audit_record(action="thing.done", object_type="x", object_id="1")
    entry = AuditEntry.objects.last()
    assert (entry.source, entry.request_id, entry.actor_label) == ("worker", "req-42", "worker")


def test_rolled_back_change_leaves_no_entry(admin_user_):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        team_create(actor=admin_user_, name="Doomed")
        raise RuntimeError("boom")
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_audit_record_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError):
        audit_record(action="x", object_type="y", object_id="1")


def test_untouched_trail_verifies_against_its_checkpoint(changes, checkpoint_file, capsys):
    entries = changes("ABC")
    saved = json.loads(checkpoint_file.read_text())
    assert (saved["last_id"], saved["count"]) == (entries[-1].id, 3)
    assert stat.S_IMODE(checkpoint_file.stat().st_mode) == 0o600
    report = audit_verify()
    assert report.ok and not report.end_unchecked
    assert (report.checked, report.checkpoint.last_id) == (3, entries[-1].id)
    assert _verify_command() == (0, "")
    assert "Audit chain intact: 3 entries" in capsys.readouterr().out


def test_verify_names_the_first_altered_entry(changes):
    target = changes("ABCD")[2]
    with transaction.atomic():
        _tamper("UPDATE core_auditentry SET actor_label = %s WHERE id = %s", ["mallory", target.id])
    report = audit_verify()
    assert not report.ok
    assert report.first_broken_id == target.id
    assert report.checked == 2
    status, message = _verify_command()
    assert status == 1 and f"BROKEN at entry {target.id}" in message


def test_verify_catches_a_deleted_entry(changes):
    _first, middle, last = changes("ABC")
    with transaction.atomic():
        _tamper("DELETE FROM core_auditentry WHERE id = %s", [middle.id])
    report = audit_verify()
    assert report.first_broken_id == last.id
    assert "previous hash" in report.reason


def test_deleting_the_last_entries_is_caught_by_the_checkpoint(changes):
    entries = changes("ABCD")
    with transaction.atomic():
        _tamper("DELETE FROM core_auditentry WHERE id >= %s", [entries[2].id])
    report = audit_verify()
    assert report.first_broken_id is None  # what is left still chains
    assert not report.ok
    assert "cut short" in report.checkpoint_problem
    assert f"4 entries up to entry {entries[3].id}" in report.checkpoint_problem
    status, message = _verify_command()
    assert status == 1 and "TAMPERED" in message and "deleted from its end" in message


def test_a_cut_trail_that_goes_on_is_still_caught(changes, admin_user_):
    entries = changes("ABC")
    with transaction.atomic():
        _tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[-1].id])
    changes("DE")  # opsdesk carries on from the entry before the cut...
    report = audit_verify()
    assert report.first_broken_id is None
    assert not report.ok and "that entry is gone" in report.checkpoint_problem
    # ...but the checkpoint stays where it was, so the cut goes on being reported.
    with pytest.raises(CheckpointError, match="not moving it on"):
        checkpoint_write()
    assert audit.checkpoint_read(audit_key()).last_id == entries[-1].id


def test_rewriting_the_chain_without_the_key_is_caught(changes):
    """Edit an entry and recompute every later hash, by the only recipe open without the key:
    pretend the entries predate keyed sealing."""
    entries = changes("ABCD")
    with transaction.atomic():
        _rewrite_from(entries, 2, actor_label="mallory")
    report = audit_verify()
    assert report.first_broken_id == entries[2].id and "no key seal" in report.reason
    with transaction.atomic():
        _rewrite_from(entries, 0, actor_label="mallory")  # the whole trail, then
    report = audit_verify()
    assert report.first_broken_id is None  # the rewritten chain holds together
    assert "rewritten" in report.checkpoint_problem
    assert _verify_command()[0] == 1


def test_rewriting_the_chain_with_a_guessed_key_is_caught(changes, settings):
    entries = changes("ABC")
    guessed = audit.AuditKey(b"g" * 40, entries[0].key_id, "a guess")
    with transaction.atomic():
        prev = entries[0].entry_hash
        for entry in entries[1:]:
            entry.actor_label, entry.prev_hash = "mallory", prev
            entry.entry_hash = prev = entry_digest(entry, guessed)
            _tamper(
                "UPDATE core_auditentry SET actor_label = %s, prev_hash = %s, entry_hash = %s "
                "WHERE id = %s",
                [entry.actor_label, entry.prev_hash, entry.entry_hash, entry.id],
            )
    report = audit_verify()
    assert report.first_broken_id == entries[1].id
    assert report.reason == "content does not match its hash"


def test_an_edited_checkpoint_file_is_caught(changes, checkpoint_file):
    changes("AB")
    saved = json.loads(checkpoint_file.read_text())
    checkpoint_file.write_text(json.dumps({**saved, "count": 1}))
    report = audit_verify()
    assert not report.ok and "does not match its signature" in report.checkpoint_problem


def test_update_and_delete_are_refused_on_the_audit_table(changes):
    entry = changes("A")[0]
    for statement in (
        "UPDATE core_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.id])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk, action=entry.action).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_committed_changes_move_the_checkpoint_and_the_table_stays_append_only(
    checkpoint_file,
):
    """Real commits: the checkpoint follows them, DELETE is still refused, and the test's own
    flush (DELETE on SQLite) empties the table afterwards."""
    admin = UserFactory()
    team_create(actor=admin, name="A")
    team_create(actor=admin, name="B")
    last = AuditEntry.objects.order_by("id").last()
    assert json.loads(checkpoint_file.read_text())["last_id"] == last.id
    with pytest.raises(DatabaseError, match="append-only"):
        AuditEntry.objects.all().delete()
    assert audit_verify().ok


def test_no_checkpoint_yet_is_reported_and_audit_checkpoint_records_one(
    changes, checkpoint_file, capsys
):
    changes("AB")
    checkpoint_file.unlink()
    assert audit_verify().ok and "No audit checkpoint" in audit_verify().end_unchecked
    status, message = _verify_command()
    assert status == 2 and "audit checkpoint" in message
    call_command("audit", "checkpoint")
    assert "Checkpoint written" in capsys.readouterr().out
    assert _verify_command() == (0, "")


def test_audit_checkpoint_refuses_a_cut_trail_unless_told_to_accept_it(changes):
    entries = changes("ABC")
    with transaction.atomic():
        _tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[-1].id])
    with pytest.raises(CommandError, match=r"TAMPERED.*--reset") as refused:
        call_command("audit", "checkpoint")
    assert refused.value.returncode == 1
    call_command("audit", "checkpoint", "--reset")  # a backup restored on purpose
    assert _verify_command() == (0, "")


def test_a_missing_key_file_is_named(changes, settings, tmp_path):
    changes("A")
    settings.AUDIT_KEY = ""
    settings.AUDIT_KEY_FILE = str(tmp_path / "nowhere" / "audit_key")
    settings.AUDIT_KEY_GENERATE = False
    with pytest.raises(AuditKeyError, match=r"nowhere/audit_key .* does not exist"):
        audit_verify()
    status, message = _verify_command()
    assert status == 2 and "OPSDESK_AUDIT_KEY_FILE" in message


def test_the_wrong_key_is_named_not_taken_for_tampering(changes, settings):
    changes("AB")
    settings.AUDIT_KEY = "another-key-" + "f" * 32
    with pytest.raises(AuditKeyError, match="was signed with audit key"):
        audit_verify()
    status, message = _verify_command()
    assert status == 2 and "configured key (OPSDESK_AUDIT_KEY)" in message


def test_a_short_key_is_refused(settings):
    settings.AUDIT_KEY = "short"
    with pytest.raises(AuditKeyError, match="too short"):
        audit_key()


def test_without_configuration_a_key_is_generated_outside_the_data_directory(
    settings, tmp_path, changes
):
    settings.AUDIT_KEY = ""
    settings.AUDIT_KEY_FILE = str(tmp_path / "config" / "audit_key")
    settings.AUDIT_KEY_GENERATE = True
    with pytest.raises(AuditKeyError, match="No audit key at"):
        audit_key(create=False)  # verifying never makes a key up
    changes("A")
    key_file = tmp_path / "config" / "audit_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) == 64
    assert audit_verify().ok


def test_key_and_checkpoint_may_not_live_in_the_data_directory(monkeypatch, tmp_path):
    data = tmp_path / "data"
    monkeypatch.setenv("OPSDESK_AUDIT_KEY_FILE", str(data / "keys" / "audit_key"))
    with pytest.raises(ValueError, match="must be outside the data directory"):
        config.audit_key_file(data)
    monkeypatch.setenv("OPSDESK_AUDIT_CHECKPOINT_FILE", str(data / "checkpoint.json"))
    with pytest.raises(ValueError, match="must be outside the data directory"):
        config.audit_checkpoint_file(data)
    monkeypatch.delenv("OPSDESK_AUDIT_KEY_FILE")
    monkeypatch.setenv("OPSDESK_CONFIG_DIR", str(tmp_path / "etc"))
    assert config.audit_key_file(data) == (tmp_path / "etc" / "audit_key", True)


def test_entries_from_before_keyed_sealing_still_verify(admin_user_, changes):
    legacy = _legacy_entries(3)
    entries = changes("A")
    assert entries[-1].prev_hash == legacy[-1].entry_hash and entries[-1].seq == 4
    report = audit_verify()
    assert report.ok and report.unkeyed == 3


def test_rewriting_old_unkeyed_entries_breaks_at_the_first_sealed_one(admin_user_, changes):
    legacy = _legacy_entries(3)
    sealed = changes("A")[-1]
    with transaction.atomic():
        _rewrite_from(legacy, 1, actor_label="mallory")
    report = audit_verify()
    assert report.first_broken_id == sealed.id and "previous hash" in report.reason


# --- helpers ---------------------------------------------------------------------------------


def _fields(entry):
    return {
        f.attname: getattr(entry, f.attname)
        for f in AuditEntry._meta.concrete_fields
        if f.attname != "id"
    }


def _legacy_entries(count):
    """Entries as opsdesk wrote them before sealing: a plain SHA-256 chain, no key or seq."""
    made, prev = [], GENESIS_HASH
    with transaction.atomic():
        for n in range(count):
            entry = AuditEntry(
                at=timezone.now(),
                actor_label="admin",
                source="web",
                action="team.created",
                object_type="core.team",
                object_id=str(n),
                prev_hash=prev,
            )
            entry.entry_hash = prev = entry_digest(entry)
            entry.save()
            made.append(entry)
    return made


def _rewrite_from(entries, index, **edit):
    """Edit entries[index] and recompute every later hash as unkeyed entries."""
    prev = entries[index - 1].entry_hash if index else GENESIS_HASH
    for n, entry in enumerate(entries[index:]):
        if n == 0:
            for name, value in edit.items():
                setattr(entry, name, value)
        entry.prev_hash, entry.key_id, entry.seq = prev, "", None
        entry.entry_hash = prev = entry_digest(entry)
        _tamper(
            "UPDATE core_auditentry SET actor_label = %s, prev_hash = %s, entry_hash = %s, "
            "key_id = '', seq = NULL WHERE id = %s",
            [entry.actor_label, entry.prev_hash, entry.entry_hash, entry.id],
        )


def test_an_upgraded_trail_without_key_or_checkpoint_asks_for_a_checkpoint(
    admin_user_, settings, tmp_path, checkpoint_file
):
    settings.AUDIT_KEY = ""
    settings.AUDIT_KEY_FILE = str(tmp_path / "config" / "audit_key")
    settings.AUDIT_KEY_GENERATE = True
    _legacy_entries(2)
    report = audit_verify()
    assert report.ok and report.unkeyed == 2 and "audit checkpoint" in report.end_unchecked
    assert _verify_command()[0] == 2
    call_command("audit", "checkpoint")  # makes the key and records the end
    assert _verify_command() == (0, "")


def test_an_entry_rolled_back_with_its_savepoint_is_not_linked_to(admin_user_):
    """Entries of one transaction link to each other without reading the head again; an
    entry undone with its savepoint must not become the next one's predecessor."""
    with transaction.atomic():
        first = team_create(actor=admin_user_, name="Kept")
        kept = AuditEntry.objects.get(object_id=str(first.pk), action="team.created")
        try:
            with transaction.atomic():
                team_create(actor=admin_user_, name="Undone")
                raise RuntimeError("changed my mind")
        except RuntimeError:
            pass
        team_create(actor=admin_user_, name="Next")
        with transaction.atomic():
            team_create(actor=admin_user_, name="Nested")
        team_create(actor=admin_user_, name="Last")
    entries = list(AuditEntry.objects.filter(id__gte=kept.id).order_by("id"))
    assert [e.object_repr for e in entries] == ["Kept", "Next", "Nested", "Last"]
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash and after.seq == before.seq + 1
    assert audit_verify().first_broken_id is None
