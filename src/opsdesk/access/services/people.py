"""People from an HR system's CSV export: who joins, moves and leaves.

Every row is checked before anything is written, so a file with one bad row changes
nobody. Each person is written through core's user services with the source "HR import",
whose ``user.changed`` facts drive joiner, mover and leaver processing.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from opsdesk.access.selectors import may_manage_access
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import User
from opsdesk.core.services import user_create, user_update

COLUMNS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "department",
    "job_title",
    "manager",
    "starts_on",
    "leaves_on",
    "active",
)
MAX_ROWS = 20_000
TRUE = {"yes", "true", "1", "active", "y"}
FALSE = {"no", "false", "0", "inactive", "n", "left"}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def _date(text: str, row: int, name: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"Row {row}: {name} “{text}” is not a date (YYYY-MM-DD).")
        return None


def _read(raw: bytes) -> tuple[list[dict], list[str]]:
    problems: list[str] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ["The file is not UTF-8 text. Export it from the HR system as CSV (UTF-8)."]
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    if "username" not in headers:
        names = ", ".join(COLUMNS)
        return [], [f"The first line must name the columns, “username” at least (any of: {names})."]
    unknown = sorted(set(headers) - set(COLUMNS))
    if unknown:
        problems.append(f"Unknown columns: {', '.join(unknown)}.")
    rows = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            problems.append(f"At most {MAX_ROWS} people per file.")
            break
        rows.append(
            {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            | {"_row": number}
        )
    return rows, problems


def people_import(*, actor, raw: bytes) -> ImportResult:
    """Create or update the people in the CSV ``raw``; refused whole when any row is wrong."""
    if not may_manage_access(actor):
        raise NotPermitted("Only access managers import people.")
    rows, problems = _read(raw)
    usernames = {r.get("username", "") for r in rows}
    known = {
        u.username: u
        for u in User.objects.filter(username__in=usernames | {r.get("manager", "") for r in rows})
    }
    plans = []
    seen: set[str] = set()
    for row in rows:
        number = row["_row"]
        username = row.get("username", "")
        if not username:
            problems.append(f"Row {number}: the username is empty.")
            continue
        if username in seen:
            problems.append(f"Row {number}: {username} appears twice.")
        seen.add(username)
        manager = row.get("manager", "")
        if manager and manager not in known and manager not in usernames:
            problems.append(f"Row {number}: the manager “{manager}” is nobody opsdesk knows.")
        active = row.get("active", "").lower()
        if active and active not in TRUE | FALSE:
            problems.append(f"Row {number}: active is “{row['active']}”; write yes or no.")
        values = {
            key: row[key]
            for key in ("email", "first_name", "last_name", "department", "job_title")
            if key in row
        }
        for key in ("starts_on", "leaves_on"):
            if key in row:
                values[key] = _date(row[key], number, key, problems)
        if active:
            values["is_active"] = active in TRUE
        plans.append((username, manager, values))
    if problems:
        raise ValidationFailed(problems[0], fields={"file": problems[:50]})
    result = ImportResult()
    with transaction.atomic():
        people = dict(known)
        # People first, managers after: a manager may be a new row further down.
        for username, _, values in plans:
            person = people.get(username)
            if person is None:
                people[username] = user_create(
                    actor=actor, username=username, source="HR import", **values
                )
                result.created += 1
                continue
            changed = {k: v for k, v in values.items() if getattr(person, k) != v}
            if changed:
                people[username] = user_update(
                    actor=actor, user=person, source="HR import", **changed
                )
                result.updated += 1
            else:
                result.unchanged += 1
        for username, manager, _ in plans:
            person = people[username]
            boss = people.get(manager) if manager else None
            if boss is not None and person.manager_id != boss.pk:
                user_update(actor=actor, user=person, source="HR import", manager=boss)
    return result
