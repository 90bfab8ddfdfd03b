"""The audit trail: written with the change, chained, and tampering is caught."""

import pytest
from django.db import connection, transaction

from opsdesk.core.audit import GENESIS_HASH, audit_record, audit_verify
from opsdesk.core.context import action_context
from opsdesk.core.models import AuditEntry
from opsdesk.core.services import team_create, team_update
from opsdesk.core.testing.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_change_writes_entry_with_before_and_after(admin_user_):
    team = TeamFactory(name="Network", description="old")
    team_update(actor=admin_user_, team=team, description="new")
    entry = AuditEntry.objects.filter(object_id=str(team.pk)).last()
    assert entry.action == "team.updated"
    assert entry.actor == admin_user_
    assert entry.changes == {"description": {"from": "old", "to": "new"}}


def test_entries_chain_by_hash(admin_user_):
    team_create(actor=admin_user_, name="A")
    team_create(actor=admin_user_, name="B")
    first, second = AuditEntry.objects.order_by("id")[:2]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
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


def _tamper(sql: str, params: list) -> None:
    """Change a row behind opsdesk's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Superusers can switch triggers off; the hash chain still catches them.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_verify_names_the_first_altered_entry(admin_user_):
    for name in "ABCD":
        team_create(actor=admin_user_, name=name)
    target = AuditEntry.objects.order_by("id")[2]
    with transaction.atomic():
        _tamper("UPDATE core_auditentry SET actor_label = %s WHERE id = %s", ["mallory", target.id])
    report = audit_verify()
    assert not report.ok
    assert report.first_broken_id == target.id
    assert report.checked == 2


def test_verify_catches_a_deleted_entry(admin_user_):
    for name in "ABC":
        team_create(actor=admin_user_, name=name)
    middle, last = AuditEntry.objects.order_by("id")[1:3]
    with transaction.atomic():
        _tamper("DELETE FROM core_auditentry WHERE id = %s", [middle.id])
    report = audit_verify()
    assert report.first_broken_id == last.id
    assert "previous hash" in report.reason


def test_postgres_trigger_refuses_update_and_delete(postgres_only, admin_user_):
    from django.db.utils import InternalError, ProgrammingError

    team_create(actor=admin_user_, name="A")
    entry = AuditEntry.objects.last()
    for sql in (
        "UPDATE core_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises((InternalError, ProgrammingError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.id])
    assert AuditEntry.objects.filter(pk=entry.pk, action=entry.action).exists()


def test_audit_verify_command_exits_non_zero_when_broken(admin_user_):
    from django.core.management import CommandError, call_command

    UserFactory()
    team_create(actor=admin_user_, name="A")
    call_command("audit", "verify")  # intact: no error
    with transaction.atomic():
        _tamper("UPDATE core_auditentry SET changes = %s", ['{"x": 1}'])
    with pytest.raises(CommandError, match="BROKEN at entry"):
        call_command("audit", "verify")
