"""The tamper-evident audit trail: record changes, and verify the hash chain."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from opsdesk.core import context
from opsdesk.core.models import AuditEntry

GENESIS_HASH = "0" * 64
# Any constant key works; it names the one lock that serialises appends on PostgreSQL.
_PG_LOCK_KEY = 0x0A0D17


def _canonical(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))


def jsonable(value):
    """The value as it will read back from a JSON column, so hashing is stable."""
    return json.loads(_canonical(value))


def entry_digest(entry: AuditEntry) -> str:
    body = {
        "prev": entry.prev_hash,
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "source": entry.source,
        "request_id": entry.request_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "changes": entry.changes,
    }
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict:
    """Field values of ``obj`` for a before/after comparison (foreign keys by id)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = getattr(obj, field.attname)
    return jsonable(values)


def diff(before: dict, after: dict) -> dict:
    """{field: {"from": old, "to": new}} for the fields that changed."""
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def _last_hash() -> str | None:
    """The newest entry's hash: read on every change, so in plain SQL (the ORM query costs
    more to build than to run)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT entry_hash FROM {AuditEntry._meta.db_table} ORDER BY id DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
    changes: dict | None = None,
    actor=None,
) -> AuditEntry:
    """Append one entry; must run inside the transaction of the change it describes."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must be called inside the change's transaction")
    ctx = context.current()
    actor = actor if actor is not None else ctx.actor
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr if object_repr is not None else str(obj)[:200]
    if connection.vendor == "postgresql":
        # Appends must not race for the same previous hash; SQLite already serialises writers.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    last = _last_hash()
    entry = AuditEntry(
        at=timezone.now(),
        actor=actor,
        actor_label=(actor.get_username() if actor is not None else ctx.source),
        source=ctx.source,
        request_id=ctx.request_id[:64],
        action=action,
        object_type=object_type or "",
        object_id=object_id or "",
        object_repr=object_repr or "",
        changes=jsonable(changes or {}),
        prev_hash=last or GENESIS_HASH,
    )
    entry.entry_hash = entry_digest(entry)
    entry.save()
    return entry


@dataclass
class ChainReport:
    checked: int
    first_broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def audit_verify(*, progress=None) -> ChainReport:
    """Walk the whole chain in id order and name the first entry that does not add up."""
    expected_prev = GENESIS_HASH
    checked = 0
    with transaction.atomic():
        for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
            if entry.prev_hash != expected_prev:
                return ChainReport(
                    checked,
                    entry.id,
                    "previous hash does not match (an entry before it was removed or changed)",
                )
            if entry_digest(entry) != entry.entry_hash:
                return ChainReport(checked, entry.id, "content does not match its hash")
            expected_prev = entry.entry_hash
            checked += 1
            if progress and checked % 10000 == 0:
                progress(checked)
    return ChainReport(checked)
