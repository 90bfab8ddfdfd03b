"""One archive holds a whole instance: every row of every table, the attachment files, and a
manifest saying where it came from. It restores into an empty instance on either database.

The archive is a zip file:

- ``manifest.json``: format version, opsdesk version, source database, the migrations applied,
  row counts per model, the content types and permissions of the source (by name, since their
  ids differ between instances), and a fingerprint of the secret key.
- ``data/<app_label>.<model>.jsonl``: one JSON object per row, in Django's serialisation
  (``{"model", "pk", "fields"}``), with datetimes to the microsecond: Django's own JSON encoder
  keeps milliseconds only, and the audit chain hashes the exact values.
- ``files/<name>``: each stored file under the name its row refers to.

Rows keep their primary keys, so links, record URLs and the audit trail's references stay
valid. Only rows pointing at a content type or a permission are translated on restore.
"""

import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_iso_string

import opsdesk
from opsdesk.core.errors import DomainError

FORMAT = 1
# Rebuilt by ``migrate`` on the target (and named in the manifest instead), or transient.
NOT_COPIED = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
CHUNK = 1000

Progress = Callable[[str], None]


@dataclass
class BackupReport:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    missing_files: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    warnings: list[str] = field(default_factory=list)


def copied_models() -> list[type[models.Model]]:
    """Every concrete table opsdesk and Django keep, in an order that loads cleanly."""
    ordered = serializers.sort_dependencies(
        [(config, None) for config in apps.get_app_configs()], allow_cycles=True
    )
    return [
        model
        for model in ordered
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.label_lower not in NOT_COPIED
        # A model holding only derived state says so with ``backed_up = False``.
        and getattr(model, "backed_up", True)
    ]


def secret_fingerprint() -> str:
    """Tells two instances' secret keys apart without revealing either."""
    return hashlib.sha256(b"opsdesk-backup:" + settings.SECRET_KEY.encode()).hexdigest()[:16]


def _audit_key_id() -> str | None:
    from opsdesk.core.audit import AuditKeyError, audit_key

    try:
        return audit_key(create=False).key_id
    except AuditKeyError:
        return None


def _applied_migrations(using: str) -> list[list[str]]:
    recorder = MigrationRecorder(connections[using])
    return sorted([app, name] for app, name in recorder.applied_migrations())


def _encode(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        raise TypeError("binary values are serialised as base64 by Django's serializer")
    raise TypeError(f"cannot store {type(value).__name__} in a backup")


def _rows(model, using: str) -> Iterator[dict]:
    serializer = serializers.get_serializer("python")()
    queryset = model._base_manager.using(using).order_by("pk")
    chunk = []
    for obj in queryset.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) == CHUNK:
            yield from serializer.serialize(chunk)
            chunk = []
    if chunk:
        yield from serializer.serialize(chunk)


def _file_fields(model) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def backup(path: Path, *, using: str = DEFAULT_DB_ALIAS, progress: Progress = print):
    """Write the whole instance to ``path``, from one consistent snapshot of the database."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    report = BackupReport(path)
    connection = connections[using]
    manifest = {
        "format": FORMAT,
        "opsdesk": opsdesk.__version__,
        "created_at": datetime.now().astimezone().isoformat(),
        "database": connection.vendor,
        "secret_fingerprint": secret_fingerprint(),
        # Which key sealed the audit trail (its id only): restore needs that key to verify it.
        "audit_key_id": _audit_key_id(),
        "migrations": _applied_migrations(using),
        "content_types": {
            str(ct.pk): [ct.app_label, ct.model] for ct in ContentType.objects.using(using)
        },
        "permissions": {
            str(p.pk): [p.content_type.app_label, p.content_type.model, p.codename]
            for p in Permission.objects.using(using).select_related("content_type")
        },
        "rows": {},
        "files": [],
    }
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # One transaction for every table: PostgreSQL gives it one snapshot; SQLite holds the
        # write lock meanwhile, so writers wait for the backup rather than tear it.
        outermost = not connection.in_atomic_block
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            for model in copied_models():
                label = model._meta.label_lower
                count = 0
                files = _file_fields(model)
                referenced = []  # (field, name): a zip takes one member at a time
                with archive.open(f"data/{label}.jsonl", "w") as out:
                    for row in _rows(model, using):
                        out.write(json.dumps(row, default=_encode).encode() + b"\n")
                        count += 1
                        referenced += [
                            (f, row["fields"][f.name]) for f in files if row["fields"].get(f.name)
                        ]
                        if count % 10000 == 0:
                            progress(f"  {label}: {count:,} rows…")
                for file_field, name in referenced:
                    _store_file(archive, file_field, name, report, manifest)
                manifest["rows"][label] = count
                report.rows[label] = count
                if count:
                    progress(f"  {label}: {count:,} rows")
        manifest["missing_files"] = report.missing_files
        archive.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
    partial.replace(path)  # a backup that did not finish never looks like one that did
    return report


def _store_file(archive, file_field, name, report, manifest):
    storage = file_field.storage
    try:
        with storage.open(name, "rb") as source, archive.open(f"files/{name}", "w") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
    except FileNotFoundError:
        report.missing_files.append(name)
        return
    report.files += 1
    manifest["files"].append(name)


def read_manifest(path: Path) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DomainError(f"{path} is not an opsdesk backup ({exc}).", code="not_a_backup") from exc
    if manifest.get("format") != FORMAT:
        raise DomainError(
            f"This backup has format {manifest.get('format')}; expected {FORMAT}.",
            code="backup_format",
        )
    return manifest


def _check_target(manifest: dict, using: str) -> None:
    here = {tuple(m) for m in _applied_migrations(using)}
    there = {tuple(m) for m in manifest["migrations"]}
    if here != there:
        missing, extra = sorted(there - here), sorted(here - there)
        raise DomainError(
            "The backup was made by a different schema version "
            f"(opsdesk {manifest.get('opsdesk')}). Restore it with the same opsdesk version, "
            f"then upgrade. Only in the backup: {missing[:5]}; only here: {extra[:5]}.",
            code="backup_schema",
        )
    from opsdesk.core.models import AuditEntry

    sealed = manifest.get("audit_key_id")
    if sealed and manifest["rows"].get("core.auditentry") and sealed != _audit_key_id():
        raise DomainError(
            "The backup's audit trail is sealed with another audit key than this instance's "
            f"(key id {sealed}). Configure the old instance's key (OPSDESK_AUDIT_KEY or "
            "OPSDESK_AUDIT_KEY_FILE, kept apart from backups) and restore again.",
            code="restore_audit_key",
        )
    if AuditEntry.objects.using(using).exists():
        raise DomainError(
            "This instance already has data (its audit trail is not empty). Restore into a "
            "new, migrated instance instead.",
            code="restore_target_not_empty",
        )


def _translators(manifest: dict, using: str):
    """Source content type and permission ids -> this instance's ids."""
    content_types = {
        (ct.app_label, ct.model): ct.pk for ct in ContentType.objects.using(using).all()
    }
    ct_map = {}
    for old, (app_label, model) in manifest["content_types"].items():
        if (app_label, model) not in content_types:
            content_types[(app_label, model)] = (
                ContentType.objects.using(using).create(app_label=app_label, model=model).pk
            )
        ct_map[int(old)] = content_types[(app_label, model)]
    permissions = {
        (p.content_type.app_label, p.content_type.model, p.codename): p.pk
        for p in Permission.objects.using(using).select_related("content_type")
    }
    perm_map = {
        int(old): permissions.get(tuple(key)) for old, key in manifest["permissions"].items()
    }
    return ct_map, perm_map


def _translate(model, fields: dict, ct_map, perm_map) -> None:
    for f in model._meta.concrete_fields:
        if f.is_relation and f.related_model is ContentType and fields.get(f.name) is not None:
            fields[f.name] = ct_map[fields[f.name]]
    for f in model._meta.many_to_many:
        if f.related_model is Permission and f.name in fields:
            fields[f.name] = [perm_map[p] for p in fields[f.name] if perm_map.get(p)]


def restore(path: Path, *, using: str = DEFAULT_DB_ALIAS, progress: Progress = print):
    """Load ``path`` into this (empty, migrated) instance: all of it, or nothing."""
    path = Path(path)
    manifest = read_manifest(path)
    _check_target(manifest, using)
    report = RestoreReport()
    if manifest["secret_fingerprint"] != secret_fingerprint():
        report.warnings.append(
            "This instance has a different secret key from the one backed up: signed-in "
            "sessions and links signed by the old instance (survey links, calendar feeds) will "
            "not work here. Set OPSDESK_SECRET_KEY to the old key to keep them."
        )
    stored_files: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive, transaction.atomic(using=using):
            _restore_rows(archive, manifest, using, report, progress)
            for name in manifest["files"]:
                with archive.open(f"files/{name}") as source:
                    saved = default_storage.save(name, File(source, name=name))
                stored_files.append(saved)
                if saved != name:
                    raise DomainError(
                        f"A file named {name} already exists in this instance's attachments.",
                        code="restore_files_exist",
                    )
                report.files += 1
    except BaseException:
        # The rows rolled back; the files written so far go too, or they would be orphans.
        for name in stored_files:
            default_storage.delete(name)
        raise
    # A restored trail is a new end on purpose: sign it, so verify holds it to this end.
    from opsdesk.core.audit import checkpoint_write

    checkpoint_write(reset=True)
    return report


def _restore_rows(archive, manifest, using, report, progress) -> None:
    from opsdesk.core.models import AuditEntry

    connection = connections[using]
    labels = copied_models()
    ct_map, perm_map = _translators(manifest, using)
    # What migrate seeded (roles, CI classes, codes ...) comes back from the backup as it was
    # there, edits included: clear it first so the rows do not meet twice. The audit trail is
    # known to be empty, and append-only: it is left out of the clearing.
    tables = [m._meta.db_table for m in labels if m is not AuditEntry]
    tables += [
        f.remote_field.through._meta.db_table
        for m in labels
        for f in m._meta.local_many_to_many
        if f.remote_field.through._meta.auto_created
    ]
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))
    # Foreign keys are checked at commit on both databases, so load order within it is free.
    for model in labels:
        label = model._meta.label_lower
        count = _load(archive, model, label, ct_map, perm_map, using)
        report.rows[label] = count
        if count:
            progress(f"  {label}: {count:,} rows")
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), labels):
            cursor.execute(sql)


def _load(archive, model, label, ct_map, perm_map, using) -> int:
    member = f"data/{label}.jsonl"
    if member not in archive.namelist():
        return 0
    count = 0
    with archive.open(member) as lines:
        batch = []
        for line in lines:
            row = json.loads(line)
            _translate(model, row["fields"], ct_map, perm_map)
            batch.append(row)
            if len(batch) == CHUNK:
                count += _save(batch, using)
                batch = []
        if batch:
            count += _save(batch, using)
    return count


def _save(rows: list[dict], using: str) -> int:
    """Insert a chunk as it was: no save() logic and no signals run, as for Django's fixtures."""
    loaded = list(serializers.deserialize("python", rows, using=using))
    if not loaded:
        return 0
    model = type(loaded[0].object)
    with _stored_timestamps(model):
        model._base_manager.using(using).bulk_create([item.object for item in loaded])
    # Many-to-many rows straight into their tables, one insert per field and chunk.
    for m2m in model._meta.local_many_to_many:
        through = m2m.remote_field.through
        if not through._meta.auto_created:
            continue  # an explicit through model is a table of its own in the archive
        source = m2m.m2m_field_name() + "_id"
        target = m2m.m2m_reverse_field_name() + "_id"
        links = [
            through(**{source: item.object.pk, target: value})
            for item in loaded
            for value in (item.m2m_data or {}).get(m2m.name, ())
        ]
        through._base_manager.using(using).bulk_create(links)
    return len(loaded)


@contextmanager
def _stored_timestamps(model):
    """bulk_create fills auto_now fields with the present, unlike a raw save: keep the stored
    times by switching those flags off while the chunk goes in."""
    fields = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    fields += [f for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    flags = [(f, f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, auto_now, auto_now_add in flags:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def instance_snapshot(using: str = DEFAULT_DB_ALIAS) -> dict[str, list]:
    """Every copied row in a form that compares across databases (content types by name,
    values as the archive stores them): two instances hold the same data when equal."""
    content_types = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.using(using)}
    snapshot = {}
    for model in copied_models():
        ct_fields = [
            f.name
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is ContentType
        ]
        rows = []
        for row in _rows(model, using):
            for name in ct_fields:
                if row["fields"].get(name) is not None:
                    row["fields"][name] = content_types[row["fields"][name]]
            for name, value in row["fields"].items():
                if isinstance(value, list) and model._meta.get_field(name).many_to_many:
                    row["fields"][name] = sorted(value)
            rows.append(json.loads(json.dumps(row, default=_encode)))
        snapshot[model._meta.label_lower] = rows
    return snapshot
