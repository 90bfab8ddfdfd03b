"""The tamper-evident audit trail: record changes, seal them with the audit key, and verify.

Each entry holds the previous entry's hash and an HMAC-SHA256 of its own content keyed with
the audit key, which lives outside the database and outside the data directory (see
docs/audit.md). Someone who can write the database can therefore neither alter an entry nor
recompute the chain after one. What a chain cannot show on its own is entries cut from its
end, so after every audited transaction opsdesk signs the trail's end (last id, hash, count)
into a checkpoint file, also outside the data directory, and ``opsdesk audit verify`` holds the
database to it.
"""

import contextlib
import contextvars
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils import timezone

from opsdesk.core import context
from opsdesk.core.models import AuditEntry

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Any constant key works; it names the one lock that serialises appends on PostgreSQL.
_PG_LOCK_KEY = 0x0A0D17
_TABLE = AuditEntry._meta.db_table
_MIN_KEY_CHARS = 32
_KEY_HINT = "at least 32 random characters, for example from `openssl rand -hex 32`"


class AuditKeyError(Exception):
    """No usable audit key: entries can be neither sealed nor verified."""


class CheckpointError(Exception):
    """The checkpoint file cannot be used (missing, unreadable, or behind a cut trail)."""


class CheckpointForged(CheckpointError):
    """The checkpoint's signature does not match its content: someone edited the file."""


# --- The key ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditKey:
    secret: bytes
    key_id: str  # names the key in entries and checkpoints without revealing it
    source: str  # where it came from, for messages


_keys: dict[tuple[str, str], AuditKey] = {}


def audit_key(*, create: bool = True) -> AuditKey:
    """The configured audit key: ``OPSDESK_AUDIT_KEY``, else the key file.

    Without either setting the key file sits in the configuration directory and is generated
    on first use (``create``); verifying never creates one, since a fresh key cannot check
    entries sealed with a lost one.
    """
    configured = settings.AUDIT_KEY.strip()
    path = Path(settings.AUDIT_KEY_FILE)
    cached = _keys.get((configured, str(path)))
    if cached is not None:
        return cached
    if configured:
        text, source = configured, "OPSDESK_AUDIT_KEY"
    else:
        text, source = (
            _read_key_file(path, create=create and settings.AUDIT_KEY_GENERATE),
            str(path),
        )
    if len(text) < _MIN_KEY_CHARS:
        raise AuditKeyError(f"The audit key from {source} is too short: use {_KEY_HINT}.")
    secret = text.encode()
    key_id = hmac.new(secret, b"opsdesk audit key id", hashlib.sha256).hexdigest()[:16]
    key = _keys[(configured, str(path))] = AuditKey(secret, key_id, source)
    return key


def _read_key_file(path: Path, *, create: bool) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        if not create:
            if settings.AUDIT_KEY_GENERATE:
                raise AuditKeyError(
                    f"No audit key at {path}. If this installation has one, put it back there "
                    "(or point OPSDESK_AUDIT_KEY_FILE at it); without it the trail cannot be "
                    "verified."
                ) from None
            raise AuditKeyError(
                f"The audit key file {path} (OPSDESK_AUDIT_KEY_FILE) does not exist. Create it "
                f"with {_KEY_HINT}, or restore the one this installation used."
            ) from None
    except OSError as error:
        raise AuditKeyError(
            f"The audit key file {path} cannot be read: {error.strerror}."
        ) from None
    # Written in full under a temporary name, then linked into place: a second process
    # starting at the same moment either wins the link or reads the complete winner.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = secrets.token_hex(32)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".audit_key.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        os.unlink(temporary)
    log.warning(
        "Generated a new audit key at %s. Keep a copy apart from the data directory's backups: "
        "without it the audit trail cannot be verified.",
        path,
    )
    return text


# --- Entries ---------------------------------------------------------------------------------


def _canonical(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))


def jsonable(value):
    """The value as it will read back from a JSON column, so hashing is stable."""
    return json.loads(_canonical(value))


def _content(entry: AuditEntry) -> dict:
    return {
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


def entry_digest(entry: AuditEntry, key: AuditKey | None = None) -> str:
    """The hash the entry must carry: keyed for entries sealed with a key, plain SHA-256 for
    the entries written before sealing existed."""
    if not entry.key_id:
        return hashlib.sha256(_canonical(_content(entry)).encode()).hexdigest()
    if key is None:
        raise AuditKeyError("A keyed audit entry cannot be checked without the audit key.")
    body = {**_content(entry), "seq": entry.seq, "key_id": entry.key_id}
    return hmac.new(key.secret, _canonical(body).encode(), hashlib.sha256).hexdigest()


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


@dataclass(frozen=True)
class Head:
    """The newest entry: where the next one links, and what a checkpoint records."""

    id: int
    hash: str
    count: int


def _head() -> Head | None:
    """Read on every change, so in plain SQL (the ORM query costs more to build than to run)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, entry_hash, seq FROM {_TABLE} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        if row is None:
            return None
        entry_id, entry_hash, seq = row
        if seq is None:
            # The newest entry predates sealing: count once, the next entry carries it on.
            cursor.execute(f"SELECT COUNT(*) FROM {_TABLE}")
            seq = cursor.fetchone()[0]
    return Head(entry_id, entry_hash, seq)


class _HeadMark:
    """The transaction's own newest entry, kept beside the change's commit callbacks.

    Django drops a savepoint's commit callbacks when the savepoint rolls back, and all of them
    when the transaction ends, so while this mark is still among the connection's callbacks
    the entry it names is still written and still the head: nobody else can append before this
    transaction ends (it holds the advisory lock on PostgreSQL, and SQLite's write lock since
    its first write). The next entry links to it without reading the head again. Once it has
    run (the transaction committed) it names nothing any more.
    """

    __slots__ = ("head", "ran", "savepoints")

    def __init__(self, head: Head, savepoints: list) -> None:
        self.head = head
        self.savepoints = savepoints
        self.ran = False

    def __call__(self) -> None:
        self.ran = True


def _known_head() -> Head | None:
    """The head this transaction appended last, if it still stands (see ``_HeadMark``)."""
    mark = getattr(connection, "_opsdesk_audit_head", None)
    if mark is None or mark.ran:
        return None
    for _savepoints, func, _robust in reversed(connection.run_on_commit):
        if func is mark:
            return mark.head
    connection._opsdesk_audit_head = None
    return None


def _remember_head(head: Head, *, still_marked: bool) -> None:
    mark = getattr(connection, "_opsdesk_audit_head", None)
    savepoints = list(connection.savepoint_ids)
    if still_marked and mark is not None and not mark.ran and mark.savepoints == savepoints:
        # Same savepoint: whatever rolls the new entry back rolls this mark back with it.
        mark.head = head
        return
    mark = _HeadMark(head, savepoints)
    transaction.on_commit(mark)
    connection._opsdesk_audit_head = mark


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
    key = audit_key()
    ctx = context.current()
    actor = actor if actor is not None else ctx.actor
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr if object_repr is not None else str(obj)[:200]
    head = _known_head()
    known = head is not None
    if not known:
        if connection.vendor == "postgresql":
            # Appends must not race for the same previous hash; SQLite already serialises
            # writers. The lock lasts until the transaction ends.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        head = _head()
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
        prev_hash=head.hash if head else GENESIS_HASH,
        seq=head.count + 1 if head else 1,
        key_id=key.key_id,
    )
    entry.entry_hash = entry_digest(entry, key)
    entry.save()
    _remember_head(Head(entry.pk, entry.entry_hash, entry.seq), still_marked=known)
    _checkpoint_after_commit()
    return entry


# --- The checkpoint ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    last_id: int
    last_hash: str
    count: int
    key_id: str
    written_at: str

    def signature(self, key: AuditKey) -> str:
        body = b"opsdesk audit checkpoint\n" + _canonical(asdict(self)).encode()
        return hmac.new(key.secret, body, hashlib.sha256).hexdigest()


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def checkpoint_read(key: AuditKey) -> Checkpoint | None:
    """The checkpoint file's content once its signature is checked; None when there is none."""
    path = checkpoint_path()
    try:
        raw = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CheckpointError(
            f"The audit checkpoint {path} cannot be read: {error.strerror}."
        ) from None
    try:
        data = json.loads(raw)
        signature = data.pop("signature")
        checkpoint = Checkpoint(**data)
        if not (isinstance(checkpoint.last_id, int) and isinstance(checkpoint.count, int)):
            raise TypeError
    except (ValueError, TypeError, KeyError, AttributeError):
        raise CheckpointError(
            f"The audit checkpoint {path} is not one opsdesk wrote (unreadable or incomplete). "
            "If it was damaged, check the trail and accept its end again with "
            "`opsdesk audit checkpoint --reset`."
        ) from None
    if checkpoint.key_id != key.key_id:
        raise AuditKeyError(
            f"The audit checkpoint {path} was signed with audit key {checkpoint.key_id}, but the "
            f"configured key ({key.source}) is {key.key_id}. Use the key this installation "
            "writes with."
        )
    if not hmac.compare_digest(str(signature), checkpoint.signature(key)):
        raise CheckpointForged(
            f"the checkpoint file {path} does not match its signature: it was edited."
        )
    return checkpoint


@contextlib.contextmanager
def _checkpoint_lock(path: Path):
    # Processes (web workers, the worker, commands) take turns; the rename alone would let an
    # older head, written late, replace a newer one.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _replace_atomically(path: Path, data: dict) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, sort_keys=True, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _still_in_database(checkpoint: Checkpoint) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT entry_hash, seq FROM {_TABLE} WHERE id = %s", [checkpoint.last_id])
        row = cursor.fetchone()
    return row is not None and row[0] == checkpoint.last_hash and row[1] in (None, checkpoint.count)


def checkpoint_write(*, reset: bool = False) -> Checkpoint | None:
    """Sign the trail's current end into the checkpoint file, and return the checkpoint.

    The checkpoint never moves backwards (another process may have recorded a newer end), and
    never moves on from a checkpoint whose last entry is gone from the database: that is the
    cut ``audit verify`` must go on reporting. ``reset`` accepts the database's end as it is,
    for an operator who restored a backup on purpose.
    """
    key = audit_key()
    path = checkpoint_path()
    with _checkpoint_lock(path):
        current = None if reset else checkpoint_read(key)
        head = _head()
        if head is None:
            if reset:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            return current
        if current is not None:
            if current.count >= head.count:
                return current
            if not _still_in_database(current):
                raise CheckpointError(
                    f"The audit checkpoint {path} ends at entry {current.last_id}, which is no "
                    "longer in the database as it was: not moving it on. Run `opsdesk audit "
                    "verify`."
                )
        checkpoint = Checkpoint(
            last_id=head.id,
            last_hash=head.hash,
            count=head.count,
            key_id=key.key_id,
            written_at=timezone.now().isoformat(timespec="seconds"),
        )
        _replace_atomically(path, {**asdict(checkpoint), "signature": checkpoint.signature(key)})
    return checkpoint


def _write_checkpoint_quietly() -> None:
    try:
        checkpoint_write()
    except (AuditKeyError, CheckpointError, OSError) as error:
        # The change is committed; refusing it now is impossible, so the operator hears it
        # here and from `audit verify`.
        log.error("Audit checkpoint not updated: %s", error)


class _CheckpointOnCommit:
    """One per transaction; ``ran`` tells a pending one from one already run (a test running
    callbacks early leaves them in the connection's list)."""

    ran = False

    def __call__(self):
        self.ran = True
        _write_checkpoint_quietly()


def _checkpoint_after_commit() -> None:
    """Checkpoint once the change commits: once per transaction, however many entries."""
    if not getattr(settings, "OPSDESK_AUDIT_CHECKPOINT_AFTER_COMMIT", True):
        return  # the test suite: one shared file, and every test its own database
    for _savepoints, func, _robust in connection.run_on_commit:
        if isinstance(func, _CheckpointOnCommit) and not func.ran:
            return
    transaction.on_commit(_CheckpointOnCommit(), robust=True)


# --- Verifying -----------------------------------------------------------------------------------


@dataclass
class ChainReport:
    checked: int
    first_broken_id: int | None = None
    reason: str = ""
    # Set when the chain holds together but does not reach, or differs from, the checkpoint.
    checkpoint_problem: str = ""
    checkpoint: Checkpoint | None = None
    unkeyed: int = 0  # entries from before sealing with a key, chained by plain SHA-256
    # Why the trail's end could not be held to a checkpoint (none yet, or an unreadable one).
    end_unchecked: str = ""

    @property
    def ok(self) -> bool:
        """No sign of tampering (``end_unchecked`` says whether the end was checked too)."""
        return self.first_broken_id is None and not self.checkpoint_problem


def audit_verify(*, progress=None) -> ChainReport:
    """Walk the whole chain in id order, name the first entry that does not add up, and hold
    the end of the trail to the signed checkpoint.

    Raises AuditKeyError when the trail cannot be checked at all (no key, another key).
    """
    if not checkpoint_path().exists() and not AuditEntry.objects.exists():
        return ChainReport(0)  # nothing written yet
    try:
        key = audit_key(create=False)
    except AuditKeyError:
        if checkpoint_path().exists() or AuditEntry.objects.exclude(key_id="").exists():
            raise
        key = None  # only entries from before keyed sealing, which need no key to check
    report = ChainReport(0)
    try:
        checkpoint = checkpoint_read(key) if key is not None else None
    except CheckpointForged as error:
        checkpoint, report.checkpoint_problem = None, str(error)
    except CheckpointError as error:
        checkpoint, report.end_unchecked = None, str(error)
    report.checkpoint = checkpoint
    expected_prev = GENESIS_HASH
    last_id = at_checkpoint = None
    sealed = False
    with transaction.atomic():
        for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
            position = report.checked + 1
            reason = _entry_problem(entry, expected_prev, position, sealed, key)
            if reason:
                report.first_broken_id, report.reason = entry.id, reason
                return report
            if entry.key_id:
                sealed = True
            else:
                report.unkeyed += 1
            if checkpoint is not None and entry.id == checkpoint.last_id:
                at_checkpoint = (entry.entry_hash, position)
            expected_prev, last_id = entry.entry_hash, entry.id
            report.checked += 1
            if progress and report.checked % 10000 == 0:
                progress(report.checked)
    if checkpoint is not None:
        report.checkpoint_problem = _checkpoint_problem(
            checkpoint, at_checkpoint, report.checked, last_id
        )
    elif not (report.checkpoint_problem or report.end_unchecked):
        report.end_unchecked = (
            f"No audit checkpoint at {checkpoint_path()}, so whether entries were cut from "
            "the trail's end cannot be told. opsdesk writes it after every change; if this "
            "installation has none yet, record the current end with `opsdesk audit checkpoint`."
        )
    return report


def _entry_problem(entry, expected_prev, position, sealed, key) -> str:
    if entry.prev_hash != expected_prev:
        return "previous hash does not match (an entry before it was removed or changed)"
    if entry.key_id:
        if key is None:  # sealed since the walk began; the key just went missing
            audit_key(create=False)
        if entry.key_id != key.key_id:
            if not sealed:
                raise AuditKeyError(
                    f"Entry {entry.id} was sealed with audit key {entry.key_id}, but the "
                    f"configured key ({key.source}) is {key.key_id}. Verify with the key this "
                    "installation writes with."
                )
            return "it is sealed with another key than the entries before it"
        if entry.seq != position:
            return "its position in the trail does not match (entries before it were removed)"
    elif sealed:
        return "it has no key seal although the entries before it have one (it was rewritten)"
    if not hmac.compare_digest(entry_digest(entry, key), entry.entry_hash):
        return "content does not match its hash"
    return ""


def _checkpoint_problem(checkpoint, at_checkpoint, checked, last_id) -> str:
    recorded = (
        f"the checkpoint of {checkpoint.written_at} records {checkpoint.count} entries up to "
        f"entry {checkpoint.last_id}"
    )
    if at_checkpoint is None:
        if last_id is None or last_id < checkpoint.last_id:
            holds = f"ending at entry {last_id}" if last_id is not None else "none at all"
            return (
                f"the trail was cut short: {recorded}, but the database holds {checked}, "
                f"{holds}. Entries were deleted from its end."
            )
        return (
            f"{recorded}, but that entry is gone: entries were deleted and the trail went on "
            "without them."
        )
    entry_hash, position = at_checkpoint
    if entry_hash != checkpoint.last_hash:
        return f"{recorded}, and that entry differs from it: the trail up to it was rewritten."
    if position != checkpoint.count:
        return (
            f"{recorded}, but in the database it is entry number {position}: entries before "
            "it were removed and the trail rewritten."
        )
    return ""


# --- Guards and checks ---------------------------------------------------------------------------

# True only while the test suite flushes its SQLite database (see _allow_test_flush).
_flushing = contextvars.ContextVar("opsdesk_audit_flushing", default=False)


@receiver(connection_created)
def _register_sqlite_guard(sender, connection, **kwargs):
    """Give opsdesk's SQLite connections the function the audit table's DELETE trigger asks
    (migration 0005). It says no, except during the test suite's flush."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("opsdesk_audit_unlocked", 0, lambda: int(_flushing.get()))
    if getattr(settings, "OPSDESK_AUDIT_FLUSH_IN_TESTS", False):
        _allow_test_flush(connection)


def _allow_test_flush(connection) -> None:
    """Let Django's flush empty the audit table between transactional tests.

    pytest-django flushes with DELETE on SQLite (PostgreSQL TRUNCATEs, which row triggers
    ignore). Only tests/settings.py sets OPSDESK_AUDIT_FLUSH_IN_TESTS, and no environment
    variable reaches it: opening the audit table this way takes changing opsdesk's code.
    """
    original = connection.ops.execute_sql_flush
    if getattr(original, "opsdesk_audit_flush", False):
        return

    def execute_sql_flush(sql_list):
        token = _flushing.set(True)
        try:
            return original(sql_list)
        finally:
            _flushing.reset(token)

    execute_sql_flush.opsdesk_audit_flush = True
    connection.ops.execute_sql_flush = execute_sql_flush


@register()
def check_audit_key(app_configs, **kwargs):
    """A key the operator configured must be usable before the first change needs it."""
    if not settings.AUDIT_KEY and settings.AUDIT_KEY_GENERATE:
        return []
    try:
        audit_key(create=False)
    except AuditKeyError as error:
        return [
            Error(
                str(error),
                hint="Set OPSDESK_AUDIT_KEY, or OPSDESK_AUDIT_KEY_FILE to a readable file.",
                id="opsdesk.E010",
            )
        ]
    return []


@register(deploy=True)
def check_audit_key_configured(app_configs, **kwargs):
    if settings.AUDIT_KEY or not settings.AUDIT_KEY_GENERATE:
        return []
    return [
        Warning(
            f"The audit key is generated by opsdesk and kept at {settings.AUDIT_KEY_FILE}.",
            hint=(
                "Keep a copy of it apart from the data directory's backups, or set "
                "OPSDESK_AUDIT_KEY_FILE to a key you manage (docs/audit.md)."
            ),
            id="opsdesk.W010",
        )
    ]
