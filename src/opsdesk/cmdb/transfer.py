"""Import and export of CIs and relationships as CSV or JSON.

Import is an idempotent upsert: a CI is matched by (class, name) and a relationship by
(source, type, target), so importing the same file twice changes nothing the second time.
It is all-or-nothing: every row is tried inside one transaction, every bad row is reported with
its line number and reason, and the transaction is rolled back when there is any bad row or
when it is a dry run.

CSV files hold one kind of record, told apart by their header: CI files have ``class`` and
``name`` columns, relationship files ``source_class, source_name, type, target_class,
target_name``. JSON files hold both: ``{"cis": [...], "relationships": [...]}`` with the same
keys, and ``attributes`` as an object instead of a JSON string.

Services' users travel too: ``consumer_departments`` (department names, ";"-separated in CSV, a
list in JSON) and ``subscribers`` (usernames, likewise).
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch

from opsdesk.cmdb.models import (
    CIClass,
    CIStatus,
    ConfigurationItem,
    Environment,
    Relationship,
    RelationshipType,
)
from opsdesk.cmdb.services import ci_create, ci_update, relationship_create, require_editor
from opsdesk.core.errors import DomainError
from opsdesk.core.models import Team, User

CI_COLUMNS = [
    "class",
    "name",
    "status",
    "environment",
    "criticality",
    "supporting_team",
    "service_owner",
    "vendor",
    "location",
    "description",
    "attributes",
    "consumer_departments",
    "subscribers",
]
RELATIONSHIP_COLUMNS = ["source_class", "source_name", "type", "target_class", "target_name"]
FORMATS = ("csv", "json")


class RowRefused(Exception):
    """One row cannot be imported; the message says why in the importer's words."""


@dataclass
class RowError:
    line: int
    record: str  # "ci", "relationship" or "file"
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "record": self.record, "reason": self.reason}


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    relationships_created: int = 0
    relationships_unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.errors

    @property
    def message(self) -> str:
        counts = (
            f"{self.created} CIs created, {self.updated} updated, {self.unchanged} unchanged; "
            f"{self.relationships_created} relationships created, "
            f"{self.relationships_unchanged} already present"
        )
        if self.errors:
            return (
                f"{len(self.errors)} bad row(s) out of {self.rows}; nothing was written. "
                "Fix them and import the file again."
            )
        if self.dry_run:
            return (
                f"Dry run: all {self.rows} rows are valid; nothing was written. Would be: {counts}."
            )
        return f"Imported {self.rows} rows: {counts}."

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "written": self.written,
            "message": self.message,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "relationships_created": self.relationships_created,
            "relationships_unchanged": self.relationships_unchanged,
            "errors": [e.as_dict() for e in self.errors],
        }


# --- reading files ----------------------------------------------------------------------------
def detect_format(text: str, name: str = "") -> str:
    if name.lower().endswith(".json"):
        return "json"
    if name.lower().endswith(".csv"):
        return "csv"
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"


def _csv_rows(text: str) -> Iterator[tuple[int, str, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    if {"source_name", "target_name"} <= set(header):
        kind = "relationship"
    elif {"class", "name"} <= set(header):
        kind = "ci"
    else:
        raise RowRefused(
            "The header must have the columns 'class' and 'name' (CIs) or "
            "'source_class, source_name, type, target_class, target_name' (relationships)."
        )
    line = 1
    for row in reader:
        # The row starts on the line after the previous row ended (fields may span lines).
        start, line = line + 1, reader.line_num
        if None in row:
            yield start, kind, {"__error__": "This row has more cells than the header."}
            continue
        yield start, kind, {k: (v or "").strip() for k, v in row.items() if k}


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _json_rows(text: str) -> Iterator[tuple[int, str, dict]]:
    """The items of "cis" and "relationships" with the line each starts on.

    The standard parser forgets positions, so the top-level object and its two arrays are
    walked here and each item is decoded on its own.
    """
    decoder = json.JSONDecoder()

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    def array_items(pos: int, kind: str):
        if text[pos : pos + 1] != "[":
            raise RowRefused(f"line {line_of(pos)}: expected a list of {kind} records")
        pos = _skip_space(text, pos + 1)
        items = []
        if text[pos : pos + 1] == "]":
            return items, pos + 1
        while True:
            item, end = decoder.raw_decode(text, pos)
            items.append((line_of(pos), kind, item))
            pos = _skip_space(text, end)
            if text[pos : pos + 1] == ",":
                pos = _skip_space(text, pos + 1)
                continue
            if text[pos : pos + 1] == "]":
                return items, pos + 1
            raise RowRefused(f"line {line_of(pos)}: expected ',' or ']'")

    try:
        pos = _skip_space(text, 0)
        if text[pos : pos + 1] == "[":
            yield from array_items(pos, "ci")[0]
            return
        if text[pos : pos + 1] != "{":
            raise RowRefused(
                'The file must be a JSON object: {"cis": [...], "relationships": [...]}'
            )
        pos = _skip_space(text, pos + 1)
        sections = {"cis": "ci", "relationships": "relationship"}
        found = {}
        while text[pos : pos + 1] != "}":
            key, pos = decoder.raw_decode(text, pos)
            pos = _skip_space(text, pos)
            if text[pos : pos + 1] != ":":
                raise RowRefused(f"line {line_of(pos)}: expected ':' after {key!r}")
            pos = _skip_space(text, pos + 1)
            if key in sections:
                found[key], pos = array_items(pos, sections[key])
            else:
                _, pos = decoder.raw_decode(text, pos)
            pos = _skip_space(text, pos)
            if text[pos : pos + 1] == ",":
                pos = _skip_space(text, pos + 1)
        # CIs first, so relationships may name CIs created by the same file.
        yield from found.get("cis", [])
        yield from found.get("relationships", [])
    except json.JSONDecodeError as error:
        raise RowRefused(f"line {error.lineno}: not valid JSON ({error.msg})") from None


def read_rows(text: str, fmt: str) -> list[tuple[int, str, dict]]:
    rows = list(_json_rows(text) if fmt == "json" else _csv_rows(text))
    return rows


# --- turning cells into field values ------------------------------------------------------------
class _Lookups:
    """Names in the file to database rows, cached for the length of one import."""

    def __init__(self):
        self.classes = {}
        for ci_class in CIClass.objects.all():
            self.classes[ci_class.key.lower()] = ci_class
            self.classes[ci_class.name.lower()] = ci_class
        self.teams = {t.name.lower(): t for t in Team.objects.all()}
        self.users: dict[str, User | None] = {}

    def ci_class(self, value) -> CIClass:
        found = self.classes.get(str(value or "").strip().lower())
        if found is None:
            raise RowRefused(f"unknown class {value!r}")
        return found

    def team(self, value):
        if not value:
            return None
        found = self.teams.get(str(value).strip().lower())
        if found is None:
            raise RowRefused(f"supporting_team: no team called {value!r}")
        return found

    def user(self, value, column="service_owner"):
        if not value:
            return None
        key = str(value).strip().lower()
        if key not in self.users:
            self.users[key] = User.objects.filter(username__iexact=key).first()
        if self.users[key] is None:
            raise RowRefused(f"{column}: no user called {value!r}")
        return self.users[key]

    def ci(self, class_value, name) -> ConfigurationItem:
        ci_class = self.ci_class(class_value)
        ci = ConfigurationItem.objects.filter(ci_class=ci_class, name=str(name or "").strip())
        found = ci.first()
        if found is None:
            raise RowRefused(f"no {ci_class.name.lower()} called {name!r}")
        return found


def _list_cell(value, column: str, separators: str) -> list[str]:
    """A list in JSON, or one cell of names split on ``separators`` (a regex class) in CSV."""
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise RowRefused(f"{column}: a list of names")
        return [v.strip() for v in value if v.strip()]
    if value is None:
        return []
    if not isinstance(value, str):
        raise RowRefused(f"{column}: a list of names")
    return [v.strip() for v in re.split(separators, value) if v.strip()]


def _choice(choices, value, column):
    wanted = str(value).strip().lower()
    for key, label in choices:
        if wanted in (str(key).lower(), str(label).lower()):
            return key
    allowed = ", ".join(str(k) for k, _ in choices)
    raise RowRefused(f"{column}: {value!r} is not one of {allowed}")


def _ci_values(row: dict, lookups: _Lookups) -> tuple[CIClass, str, dict]:
    ci_class = lookups.ci_class(row.get("class"))
    name = str(row.get("name") or "").strip()
    if not name:
        raise RowRefused("name: a CI needs a name")
    values = {}
    # A column that is absent leaves the field alone; an empty cell clears optional fields
    # and leaves fields with a default as they are.
    if row.get("status"):
        values["status"] = _choice(CIStatus.choices, row["status"], "status")
    if row.get("environment"):
        values["environment"] = _choice(Environment.choices, row["environment"], "environment")
    if row.get("criticality") not in (None, ""):
        try:
            values["criticality"] = int(row["criticality"])
        except (TypeError, ValueError):
            raise RowRefused(f"criticality: {row['criticality']!r} is not a number 1-4") from None
    if "supporting_team" in row:
        values["supporting_team"] = lookups.team(row["supporting_team"])
    if "service_owner" in row:
        values["service_owner"] = lookups.user(row["service_owner"])
    for text_field in ("vendor", "location", "description"):
        if text_field in row:
            values[text_field] = str(row[text_field] or "")
    if "attributes" in row:
        attributes = row["attributes"]
        if isinstance(attributes, str):
            try:
                attributes = json.loads(attributes) if attributes.strip() else {}
            except json.JSONDecodeError as error:
                raise RowRefused(f"attributes: not valid JSON ({error.msg})") from None
        values["attributes"] = attributes
    if "consumer_departments" in row:
        values["consumer_departments"] = _list_cell(
            row["consumer_departments"], "consumer_departments", r"[;\n]"
        )
    if "subscribers" in row:
        values["subscribers"] = [
            lookups.user(name, "subscribers")
            for name in _list_cell(row["subscribers"], "subscribers", r"[;,\s]+")
        ]
    return ci_class, name, values


def _reason(error: DomainError) -> str:
    if not error.fields:
        return error.message
    parts = []
    for name, messages in error.fields.items():
        label = "" if name == "__all__" else f"{name}: "
        parts.append(label + " ".join(messages))
    return "; ".join(parts)


def _import_ci(row, lookups, actor, report):
    ci_class, name, values = _ci_values(row, lookups)
    existing = ConfigurationItem.objects.filter(ci_class=ci_class, name=name).first()
    if existing is None:
        ci_create(actor=actor, name=name, ci_class=ci_class, **values)
        report.created += 1
        return
    updated = ci_update(actor=actor, ci=existing, **values)
    if updated.version != existing.version:
        report.updated += 1
    else:
        report.unchanged += 1


def _import_relationship(row, lookups, actor, report):
    missing = [c for c in RELATIONSHIP_COLUMNS if not str(row.get(c) or "").strip()]
    if missing:
        raise RowRefused(f"missing {', '.join(missing)}")
    source = lookups.ci(row["source_class"], row["source_name"])
    target = lookups.ci(row["target_class"], row["target_name"])
    rel_type = _choice(RelationshipType.choices, row["type"], "type")
    if Relationship.objects.filter(source=source, target=target, type=rel_type).exists():
        report.relationships_unchanged += 1
        return
    relationship_create(actor=actor, source=source, type=rel_type, target=target)
    report.relationships_created += 1


def cmdb_import(
    *,
    actor,
    text: str,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a CSV or JSON file's text; see the module docstring for the rules."""
    require_editor(actor)
    fmt = fmt or detect_format(text)
    report = ImportReport(dry_run=dry_run)
    try:
        rows = read_rows(text, fmt)
    except RowRefused as error:
        report.errors.append(RowError(line=1, record="file", reason=str(error)))
        return report
    report.rows = len(rows)
    with transaction.atomic():
        lookups = _Lookups()
        for done, (line, kind, row) in enumerate(rows, start=1):
            try:
                if not isinstance(row, dict):
                    raise RowRefused("each record must be an object")
                if "__error__" in row:
                    raise RowRefused(row["__error__"])
                # A savepoint per row: a refused row leaves nothing behind and the rest go on.
                with transaction.atomic():
                    if kind == "ci":
                        _import_ci(row, lookups, actor, report)
                    else:
                        _import_relationship(row, lookups, actor, report)
            except RowRefused as error:
                report.errors.append(RowError(line, kind, str(error)))
            except DomainError as error:
                report.errors.append(RowError(line, kind, _reason(error)))
            if progress and (done % 500 == 0 or done == len(rows)):
                progress(done, len(rows))
        if dry_run or report.errors:
            transaction.set_rollback(True)
    return report


# --- export -------------------------------------------------------------------------------------
def _ci_records(queryset=None) -> Iterator[dict]:
    qs = queryset if queryset is not None else ConfigurationItem.objects.all()
    qs = (
        qs.select_related("ci_class", "supporting_team", "service_owner")
        .prefetch_related(
            Prefetch("subscribers", User.objects.only("username").order_by("username"))
        )
        .order_by("id")
    )
    for ci in qs.iterator(chunk_size=2000):
        yield {
            "class": ci.ci_class.key,
            "name": ci.name,
            "status": ci.status,
            "environment": ci.environment,
            "criticality": ci.criticality,
            "supporting_team": ci.supporting_team.name if ci.supporting_team else "",
            "service_owner": ci.service_owner.username if ci.service_owner else "",
            "vendor": ci.vendor,
            "location": ci.location,
            "description": ci.description,
            "attributes": ci.attributes,
            "consumer_departments": list(ci.consumer_departments or []),
            "subscribers": [user.username for user in ci.subscribers.all()],
        }


def _relationship_records() -> Iterator[dict]:
    qs = Relationship.objects.values_list(
        "source__ci_class__key", "source__name", "type", "target__ci_class__key", "target__name"
    ).order_by("id")
    for row in qs.iterator(chunk_size=5000):
        yield dict(zip(RELATIONSHIP_COLUMNS, row, strict=True))


def cmdb_export(*, fmt: str = "json", kind: str = "cis", queryset=None) -> str:
    """The CMDB as a file's text. JSON holds both kinds; CSV one ``kind`` (cis|relationships)."""
    if fmt == "json":
        body = {"cis": list(_ci_records(queryset))}
        if queryset is None:
            body["relationships"] = list(_relationship_records())
        return json.dumps(body, indent=1, ensure_ascii=False) + "\n"
    out = io.StringIO()
    if kind == "relationships":
        writer = csv.DictWriter(out, fieldnames=RELATIONSHIP_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_relationship_records())
    else:
        writer = csv.DictWriter(out, fieldnames=CI_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for record in _ci_records(queryset):
            record["attributes"] = json.dumps(record["attributes"], sort_keys=True)
            record["consumer_departments"] = "; ".join(record["consumer_departments"])
            record["subscribers"] = "; ".join(record["subscribers"])
            writer.writerow(record)
    return out.getvalue()
