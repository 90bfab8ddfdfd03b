"""Seed a database with many incidents, fast: the volume the queue benchmarks need.

    .venv/bin/python bench/seed.py                 # 1,000,000 incidents, OPSDESK_DATABASE_URL
    .venv/bin/python bench/seed.py --count 50000   # a smaller set for a quick run

Writes into whatever database opsdesk is configured for (OPSDESK_DATABASE_URL, or the SQLite file
in OPSDESK_DATA_DIR), after migrating it. People and support groups come from the core demo
(idempotent), categories from the incidents demo. Incidents spread over two years: mostly closed
by now, with a realistic open backlog in the last weeks, priorities from the priority matrix,
the groups' members as assignees and the business's people as callers. Numbers are reserved as
one block from the INC sequence, so later incidents never collide with them.

Only incident rows are written (PostgreSQL: COPY; SQLite: batched multi-row INSERTs); no
timeline, audit, SLA timers or outbox rows, which the queues do not read.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

YEARS_DAYS = 730
BATCH = 20_000
COLUMNS = [
    "created_at",
    "updated_at",
    "version",
    "number",
    "short_description",
    "description",
    "channel",
    "impact",
    "urgency",
    "priority",
    "priority_overridden",
    "priority_override_reason",
    "escalation_level",
    "state",
    "hold_reason",
    "resolution_notes",
    "confidential",
    "opened_at",
    "first_response_at",
    "acknowledged_at",
    "first_assigned_at",
    "first_resolved_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "is_major",
    "major_proposed",
    "major_summary",
    "assignee_id",
    "assignment_group_id",
    "caller_id",
    "category_id",
    "subcategory_id",
    "opened_by_id",
    "resolution_code_id",
]
# Share of the work each group takes (the Service Desk resolves most at first line).
GROUP_WEIGHTS = {
    "Service Desk": 40,
    "Network Operations": 12,
    "Server & Storage": 10,
    "Database Administration": 6,
    "Identity & Access": 12,
    "ERP Applications": 8,
    "Collaboration Apps": 8,
    "IT Operations Centre": 4,
}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def throwaway_database(name: str, *, keep: bool, data_dir: str | None):
    """Point opsdesk at a throwaway database for a benchmark: on PostgreSQL (this machine's
    only) the database ``name``, dropped at the end unless ``keep``; on SQLite a scratch data
    directory. Returns (backend, cleanup)."""
    url = os.environ.get("OPSDESK_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("The benchmark runs against a PostgreSQL on this machine only.")
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not (keep and exists.fetchone()):
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
                conn.execute(f"CREATE DATABASE {name}")
        os.environ["OPSDESK_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        scratch = data_dir or tempfile.mkdtemp(prefix=f"opsdesk-{name}-")
        os.environ["OPSDESK_DATA_DIR"] = scratch
        os.environ["OPSDESK_CONFIG_DIR"] = scratch + "-config"

        def cleanup():
            from django.db import connections

            connections.close_all()
            if not keep:
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if not data_dir:
                shutil.rmtree(scratch, ignore_errors=True)
                shutil.rmtree(scratch + "-config", ignore_errors=True)

        return "postgresql", cleanup
    if url and not url.startswith("sqlite"):
        raise SystemExit(f"Unsupported OPSDESK_DATABASE_URL scheme: {url.split(':', 1)[0]}")
    if data_dir:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    else:
        data_dir = tempfile.mkdtemp(prefix=f"opsdesk-{name}-")
    os.environ.pop("OPSDESK_DATABASE_URL", None)
    os.environ["OPSDESK_DATA_DIR"] = data_dir
    # The audit key and checkpoint go next to the throwaway data, not in the user's config.
    os.environ["OPSDESK_CONFIG_DIR"] = data_dir + "-config"
    if keep:
        return "sqlite", lambda: say(f"Kept the database in {data_dir}")

    def cleanup_sqlite():
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(data_dir + "-config", ignore_errors=True)

    return "sqlite", cleanup_sqlite


def setup() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    os.environ.setdefault("OPSDESK_LOG_LEVEL", "WARNING")
    import django

    django.setup()


class Story:
    """Everything one seeded incident needs, drawn once so rows are cheap to build."""

    def __init__(self, *, rng, now, tree, teams, members, callers, matrix, codes):
        from opsdesk.incidents.demo import CATALOGUE, CHANNELS, IMPACT_WEIGHTS, URGENCY_WEIGHTS

        self.rng, self.now = rng, now
        self.tree, self.members, self.callers, self.matrix = tree, members, callers, matrix
        self.codes = codes
        self.groups = [teams[name] for name in GROUP_WEIGHTS if name in teams] or list(
            teams.values()
        )
        self.group_weights = [GROUP_WEIGHTS.get(g.name, 5) for g in self.groups]
        self.catalogue = [(name, subs, texts) for name, (subs, _, texts) in CATALOGUE.items()]
        self.channels, self.channel_weights = zip(*CHANNELS, strict=True)
        self.impact_weights, self.urgency_weights = IMPACT_WEIGHTS, URGENCY_WEIGHTS

    def opened_at(self) -> datetime:
        rng = self.rng
        while True:
            moment = self.now - timedelta(seconds=rng.uniform(0, YEARS_DAYS * 86400))
            if (7 <= moment.hour < 19 or rng.random() < 0.15) and (
                moment.weekday() < 5 or rng.random() < 0.2
            ):
                return moment

    def state_for(self, age_days: float) -> str:
        """Old incidents are closed; the last weeks hold the open backlog."""
        r = self.rng.random()
        if age_days > 60:
            return "open" if r < 0.002 else ("cancelled" if r < 0.03 else "closed")
        if age_days > 10:
            if r < 0.04:
                return "open"
            return "resolved" if r < 0.06 else ("cancelled" if r < 0.09 else "closed")
        if r < 0.45:
            return "open"
        return "resolved" if r < 0.75 else ("cancelled" if r < 0.8 else "closed")

    def row(self, number: str) -> tuple:
        rng = self.rng
        opened = self.opened_at()
        age_days = (self.now - opened).total_seconds() / 86400
        state = self.state_for(age_days)
        if state == "open":
            state = rng.choices(["new", "in_progress", "on_hold"], weights=[30, 55, 15])[0]
        impact = rng.choices((1, 2, 3), weights=self.impact_weights)[0]
        urgency = rng.choices((1, 2, 3), weights=self.urgency_weights)[0]
        priority = self.matrix.get((impact, urgency), max(1, min(5, impact + urgency - 1)))
        group = rng.choices(self.groups, weights=self.group_weights)[0]
        # A new incident still waits in its group's queue a third of the time.
        assignee = None
        if state != "new" or rng.random() < 0.3:
            assignee = rng.choice(self.members[group.name]) if self.members[group.name] else None
        category, subs, texts = rng.choice(self.catalogue)
        sub = rng.choice(subs)
        parent, children = self.tree[category]
        subcategory = next(c for c in children if c.name == sub)
        response = opened + timedelta(minutes=rng.lognormvariate(3.5, 1.0))
        response = min(response, self.now)
        resolved = first_resolved = closed = code = None
        if state in ("resolved", "closed"):
            resolved = opened + timedelta(hours=rng.lognormvariate(2.5 + priority / 2, 1.0))
            resolved = min(resolved, self.now)
            first_resolved = resolved
            code = rng.choice(self.codes) if self.codes else None
            if state == "closed":
                closed = min(resolved + timedelta(days=rng.uniform(1, 5)), self.now)
        if state == "cancelled":
            closed = response
        updated = closed or resolved or (response if state != "new" else opened)
        return (
            opened,
            updated,
            1,
            number,
            rng.choice(texts).format(sub),
            "",
            rng.choices(self.channels, weights=self.channel_weights)[0],
            impact,
            urgency,
            priority,
            False,
            "",
            0,
            state,
            "awaiting_caller" if state == "on_hold" else "",
            "Fixed and confirmed with the caller." if resolved else "",
            rng.random() < 0.005,
            opened,
            response if state != "new" else None,
            response if state != "new" else None,
            response if assignee is not None else None,
            first_resolved,
            resolved,
            closed,
            0,
            False,
            False,
            "",
            assignee.pk if assignee is not None else None,
            group.pk,
            rng.choice(self.callers),
            parent.pk,
            subcategory.pk,
            None,
            code,
        )


def write(rows: list[tuple]) -> None:
    from django.db import connection, transaction

    table = "incidents_incident"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = "(" + ", ".join(["?"] * len(COLUMNS)) + ")"
        # SQLite caps bound variables at 32,766: about 900 rows of these columns per statement.
        per_statement = 32766 // len(COLUMNS)
        raw = cursor.cursor
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES " + ", ".join(
                [placeholders] * len(chunk)
            )
            raw.execute(sql, [v for row in chunk for v in row])


def seed(count: int, *, seed_value: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from opsdesk.core import demo as core_demo
    from opsdesk.core.models import Team, User
    from opsdesk.core.roles import Role
    from opsdesk.incidents import demo as incidents_demo
    from opsdesk.incidents.models import Incident, PriorityMatrixRow, ResolutionCode

    say("Migrating…")
    call_command("migrate", verbosity=0)
    core_demo.load(progress=lambda text: say(f"  {text}"))
    tree = incidents_demo._categories(lambda text: say(f"  {text}"))
    teams = {t.name: t for t in Team.objects.prefetch_related("members")}
    members = {name: list(team.members.all()) for name, team in teams.items()}
    callers = list(
        User.objects.filter(groups__name=str(Role.REQUESTER), is_active=True).values_list(
            "pk", flat=True
        )
    )
    if not callers or not teams:
        raise SystemExit("No requesters or support groups: the core demo did not load.")
    matrix = {(r.impact, r.urgency): r.priority for r in PriorityMatrixRow.objects.all()}
    codes = list(ResolutionCode.objects.values_list("pk", flat=True))
    with transaction.atomic():
        first = incidents_demo._number_block(count)
    say(f"Seeding {count:,} incidents, numbers INC{first:07d} onwards…")
    story = Story(
        rng=random.Random(seed_value),
        # Naive UTC: what Django stores on SQLite, and what a UTC PostgreSQL session reads as UTC.
        now=datetime.now(UTC).replace(tzinfo=None),
        tree=tree,
        teams=teams,
        members=members,
        callers=callers,
        matrix=matrix,
        codes=codes,
    )
    prefix = Incident.NUMBER_PREFIX
    started = time.monotonic()
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        write([story.row(f"{prefix}{first + done + i:07d}") for i in range(size)])
        done += size
        if done % 100_000 < BATCH or done == count:
            rate = done / max(time.monotonic() - started, 0.001)
            say(f"  {done:>9,} incidents ({time.monotonic() - started:.0f} s, {rate:,.0f}/s)")
    say("Updating planner statistics (ANALYZE)…")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"Done: {count:,} incidents in {time.monotonic() - started:.0f} s.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601, help="random seed")
    args = parser.parse_args()
    setup()
    seed(args.count, seed_value=args.seed)


if __name__ == "__main__":
    main()
