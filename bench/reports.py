"""Reporting benchmarks: every registered metric over a million incidents, p50 and p95.

    OPSDESK_DATABASE_URL=postgres://USER@127.0.0.1/postgres .venv/bin/python bench/reports.py
    .venv/bin/python bench/reports.py                      # SQLite: 100,000 incidents, scaled
    .venv/bin/python bench/reports.py --count 200000       # a smaller PostgreSQL run

On PostgreSQL it creates (and finally drops) a database named ``bench_reports``; on SQLite it
works in a temporary data directory (``--keep`` keeps either and reuses it next time; SQLite:
pass the same ``--data-dir``). It seeds ``--count`` incidents (PostgreSQL 1,000,000, SQLite
100,000) over two years with ``bench/seed.py``'s rows, each on a business service of the CMDB
demo; then, in the database, one fact row per incident (``INSERT … SELECT``: the incidents
carry no SLA clock, so their business time is their calendar time, as ``facts.py`` gives);
``--history`` typed history rows (default ten per incident) and ``--events`` monitoring
events (default five per incident, over the last 90 days, one alert per twenty events),
written as ``bench/seed.py`` writes (PostgreSQL: COPY; SQLite: batched INSERTs); and the
backlog snapshot of each of the last 90 days (``backlog_snapshot_take``, timed).

Then it times ``opsdesk.reporting.metrics.compute`` for every registered metric, over the
last 30 and the last 90 days, ungrouped and grouped by team and by week, ``--repeat`` times
each, and prints p50 and p95 per metric (and the slowest case). When the metric API
(``/api/reports/metrics/<key>/``) and the dashboards (``/reports/<slug>/``, linked from
``/reports/``) exist, it also times them through Django's test client as a signed-in agent
(p95): each dashboard of ``opsdesk.reporting.dashboards`` over the last 30 and 90 days.
The load average of the machine is printed with the figures.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Python put this directory first; last instead, so bench/requests.py does not hide the
# requests library that the API's code imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

BENCH_DB = "bench_reports"
EVENT_DAYS = 90
SNAPSHOT_DAYS = 90
OPEN_STATES = ("new", "in_progress", "on_hold")
LIVE_CHANNELS = ("phone", "walk_in", "chat")
HISTORY_COLUMNS = [
    "record_type",
    "record_id",
    "change",
    "from_value",
    "to_value",
    "at",
    "actor_id",
    "group_id",
    "assignee_id",
    "priority",
]
EVENT_COLUMNS = [
    "integration_id",
    "delivery_key",
    "received_at",
    "occurred_at",
    "fingerprint",
    "action",
    "severity",
    "classification",
    "resource",
    "check_name",
    "summary",
    "description",
    "group_key",
    "labels",
    "links",
    "payload",
    "state",
    "processed_at",
    "alert_id",
]
ALERT_COLUMNS = [
    "integration_id",
    "fingerprint",
    "status",
    "severity",
    "highest_severity",
    "classification",
    "resource",
    "check_name",
    "summary",
    "description",
    "group_key",
    "labels",
    "links",
    "first_seen",
    "last_seen",
    "resolved_at",
    "count",
    "actions",
    "suppressed_by",
    "state_changes",
    "flapping",
]
CHECKS = ["disk", "cpu", "memory", "http", "replication", "backup", "certificate", "queue"]
SEVERITIES = ["critical", "major", "minor", "warning", "info"]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare_database(*, keep: bool, data_dir: str | None):
    """Point opsdesk at a throwaway database; returns (backend, cleanup)."""
    import seed as seeding

    return seeding.throwaway_database(BENCH_DB, keep=keep, data_dir=data_dir)


def write_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """``bench/seed.py``'s writer for any table: COPY on PostgreSQL, INSERTs on SQLite."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["?"] * len(columns))
        cursor.cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
        )


def seed_incidents(count: int, *, rng: random.Random) -> None:
    """``bench/seed.py``'s incidents over two years, each on a business service."""
    import seed as seeding
    from django.core.management import call_command
    from django.db import transaction

    from opsdesk.cmdb import demo as cmdb_demo
    from opsdesk.cmdb.models import BUSINESS_SERVICE, ConfigurationItem
    from opsdesk.core import demo as core_demo
    from opsdesk.core.models import Team, User
    from opsdesk.core.roles import Role
    from opsdesk.incidents import demo as incidents_demo
    from opsdesk.incidents.models import Incident, PriorityMatrixRow, ResolutionCode

    say("Migrating and loading the core and CMDB demos…")
    call_command("migrate", verbosity=0)
    core_demo.load(progress=lambda text: None)
    cmdb_demo.load(progress=lambda text: None)
    tree = incidents_demo._categories(lambda text: None)
    services = list(
        ConfigurationItem.objects.filter(ci_class__key=BUSINESS_SERVICE).values_list(
            "pk", flat=True
        )
    )
    teams = {t.name: t for t in Team.objects.prefetch_related("members")}
    story = seeding.Story(
        rng=rng,
        now=datetime.now(UTC).replace(tzinfo=None),
        tree=tree,
        teams=teams,
        members={name: list(team.members.all()) for name, team in teams.items()},
        callers=list(
            User.objects.filter(groups__name=str(Role.REQUESTER)).values_list("pk", flat=True)
        ),
        matrix={(r.impact, r.urgency): r.priority for r in PriorityMatrixRow.objects.all()},
        codes=list(ResolutionCode.objects.values_list("pk", flat=True)),
    )
    columns = [*seeding.COLUMNS, "service_id"]
    category_at = seeding.COLUMNS.index("category_id")
    places = {parent.pk: rng.choice(services) for parent, _ in tree.values()}
    with transaction.atomic():
        first = incidents_demo._number_block(count)
    say(f"Seeding {count:,} incidents over {seeding.YEARS_DAYS} days…")
    started = time.monotonic()
    done = 0
    while done < count:
        rows = []
        for i in range(min(seeding.BATCH, count - done)):
            row = story.row(f"{Incident.NUMBER_PREFIX}{first + done + i:07d}")
            service = places[row[category_at]] if rng.random() < 0.8 else rng.choice(services)
            rows.append((*row, service))
        write_rows("incidents_incident", columns, rows)
        done += len(rows)
        if done % 200_000 < seeding.BATCH or done == count:
            say(f"  {done:>9,} incidents ({time.monotonic() - started:.0f} s)")


def _sqlite_functions() -> None:
    """SQLite has no time zones or interval arithmetic: the organisation's day and the seconds
    between two stored moments, as Python functions of this connection."""
    from django.db import connection

    from opsdesk.reporting.periods import local_day

    def parse(text):
        if text is None:
            return None
        moment = datetime.fromisoformat(str(text))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    connection.ensure_connection()
    raw = connection.connection
    raw.create_function(
        "bench_day", 1, lambda t: None if t is None else local_day(parse(t)).isoformat()
    )
    raw.create_function(
        "bench_seconds",
        2,
        lambda a, b: None if a is None or b is None else (parse(a) - parse(b)).total_seconds(),
    )


def seed_facts() -> None:
    """One fact row per incident, computed in the database from the incident's columns."""
    from django.conf import settings
    from django.db import connection, transaction

    if connection.vendor == "postgresql":
        zone = settings.OPSDESK_TIME_ZONE.replace("'", "")

        def day(column):
            return f"(({column}) AT TIME ZONE '{zone}')::date"

        def seconds(end, start):
            return f"EXTRACT(EPOCH FROM ({end}) - ({start}))"

        now = "now()"
    else:
        _sqlite_functions()

        def day(column):
            return f"bench_day({column})"

        def seconds(end, start):
            return f"bench_seconds({end}, {start})"

        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    open_states = ", ".join(f"'{s}'" for s in OPEN_STATES)
    live = ", ".join(f"'{c}'" for c in LIVE_CHANNELS)
    first_end = "COALESCE(i.first_resolved_at, i.closed_at)"
    last_end = (
        f"CASE WHEN i.state IN ({open_states}) THEN NULL"
        " ELSE COALESCE(i.resolved_at, i.closed_at) END"
    )
    sql = f"""
        INSERT INTO reporting_recordfact (
            record_type, record_id, number, short_description, team_id, assignee_id,
            service_id, ci_id, priority, category, channel, event_made, confidential,
            calendar_id, state, is_open, is_cancelled, opened_at, opened_on, acknowledged_at,
            first_response_at, first_resolved_at, first_resolved_on, resolved_at, resolved_on,
            closed_at, closed_on, reopen_count, ack_seconds, ack_business_seconds,
            response_seconds, response_business_seconds, resolve_seconds,
            resolve_business_seconds, total_resolve_seconds, total_resolve_business_seconds,
            paused_seconds, fcr, resolved_by_known_error, refreshed_at
        )
        SELECT
            'incident', i.id, i.number, i.short_description, i.assignment_group_id,
            i.assignee_id, i.service_id, i.ci_id, i.priority, COALESCE(c.name, ''), i.channel,
            i.channel = 'event', i.confidential, NULL, i.state, i.state IN ({open_states}),
            i.state = 'cancelled', i.opened_at, {day("i.opened_at")},
            COALESCE(i.acknowledged_at, i.first_assigned_at), i.first_response_at,
            i.first_resolved_at, {day(first_end)}, i.resolved_at, {day(last_end)},
            i.closed_at, {day("i.closed_at")}, i.reopen_count,
            {seconds("COALESCE(i.acknowledged_at, i.first_assigned_at)", "i.opened_at")},
            {seconds("COALESCE(i.acknowledged_at, i.first_assigned_at)", "i.opened_at")},
            {seconds("i.first_response_at", "i.opened_at")},
            {seconds("i.first_response_at", "i.opened_at")},
            {seconds(first_end, "i.opened_at")}, {seconds(first_end, "i.opened_at")},
            {seconds(last_end, "i.opened_at")}, {seconds(last_end, "i.opened_at")},
            0,
            CASE
                WHEN i.state = 'cancelled' OR i.channel = 'event'
                    OR i.first_resolved_at IS NULL THEN NULL
                WHEN i.channel IN ({live}) THEN i.escalation_level = 0
                ELSE {seconds("i.first_resolved_at", "i.opened_at")} <= 3600
            END,
            FALSE, {now}
        FROM incidents_incident i LEFT JOIN incidents_category c ON c.id = i.category_id
    """
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
        written = cursor.rowcount
    say(f"  {written:,} fact rows in {time.monotonic() - started:.0f} s")


def _incident_chunks(size: int = 20_000):
    """(id, opened, responded, first resolved, closed, state, group, assignee, priority)
    of every incident, in id order, a chunk at a time."""
    from opsdesk.incidents.models import Incident

    last = 0
    columns = (
        "pk",
        "opened_at",
        "first_response_at",
        "first_resolved_at",
        "closed_at",
        "state",
        "assignment_group_id",
        "assignee_id",
        "priority",
    )
    while True:
        chunk = list(
            Incident.objects.filter(pk__gt=last).order_by("pk").values_list(*columns)[:size]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


def _history_of(row, per: int, rng: random.Random) -> list[tuple]:
    """``per`` typed history rows of one incident, in the order they happened."""
    pk, opened, responded, resolved, closed, state, group, assignee, priority = row
    end = closed or resolved or responded or opened
    span = max((end - opened).total_seconds(), 60.0)
    out = [
        ("opened", "", "new", opened),
        ("assignment_group", "", str(group), opened),
        ("priority", "", str(priority), opened),
    ]
    if responded is not None:
        out += [
            ("assignee", "", str(assignee or ""), responded),
            ("state", "new", "in_progress", responded),
            ("acknowledged", "", "", responded),
            ("first_public_reply", "", "", responded),
        ]
    while len(out) < per - (2 if resolved else 0) - (1 if closed else 0):
        moment = opened + timedelta(seconds=rng.uniform(0, span))
        if rng.random() < 0.5:
            out.append(("sla_paused", "", "", moment))
            out.append(("sla_resumed", "", "", moment + timedelta(seconds=span / 20)))
        else:
            out.append(("assignment_group", str(group), str(group), moment))
    if resolved is not None:
        out += [("resolved", "", "", resolved), ("state", "in_progress", "resolved", resolved)]
    if closed is not None:
        out.append(("state", "resolved" if resolved else state, "closed", closed))
    out.sort(key=lambda item: item[3])
    return [
        ("incident", pk, change, old, new, at, None, group, assignee, priority)
        for change, old, new, at in out[:per]
    ]


def seed_history(total: int, count: int, *, rng: random.Random) -> None:
    per = max(1, round(total / max(count, 1)))
    say(f"Seeding about {total:,} history rows ({per} per incident)…")
    started = time.monotonic()
    done = 0
    for chunk in _incident_chunks():
        rows = [item for row in chunk for item in _history_of(row, per, rng)]
        write_rows("core_tickethistory", HISTORY_COLUMNS, rows)
        done += len(rows)
        if done % 2_000_000 < len(rows):
            say(f"  {done:>10,} history rows ({time.monotonic() - started:.0f} s)")
    say(f"  {done:>10,} history rows ({time.monotonic() - started:.0f} s)")


def seed_events(total: int, *, rng: random.Random) -> None:
    """``total`` processed events over the last 90 days from five integrations; every
    twentieth event opens an alert, the others are its repeats."""
    import json

    from opsdesk.events.models import Alert, Integration

    integrations = [
        Integration.objects.create(
            name=f"Bench {name}", format="generic", secret_hash=os.urandom(16).hex()
        ).pk
        for name in ("Prometheus", "Zabbix", "Nagios", "Datadog", "Grafana")
    ]
    now = datetime.now(UTC).replace(tzinfo=None)
    per_alert = 20
    say(f"Seeding {total:,} events and {total // per_alert:,} alerts…")
    started = time.monotonic()
    done = 0
    empty, none = json.dumps({}), json.dumps([])
    while done < total:
        size = min(100_000, total - done)
        alerts, events = [], []
        for a in range(size // per_alert or 1):
            integration = rng.choice(integrations)
            check = rng.choice(CHECKS)
            resource = f"vm-{rng.randrange(2000):04d}"
            severity = rng.choice(SEVERITIES)
            first = now - timedelta(seconds=rng.uniform(0, EVENT_DAYS * 86400))
            fingerprint = f"{check}:{resource}:{done + a}"
            last = first + timedelta(minutes=per_alert * 5)
            alerts.append(
                (
                    integration,
                    fingerprint,
                    "resolved",
                    severity,
                    severity,
                    "incident",
                    resource,
                    check,
                    f"{check} on {resource}",
                    "",
                    "",
                    empty,
                    none,
                    first,
                    last,
                    last,
                    per_alert,
                    empty,
                    "",
                    none,
                    False,
                )
            )
        write_rows("events_alert", ALERT_COLUMNS, alerts)
        ids = list(
            Alert.objects.filter(fingerprint__in=[a[1] for a in alerts]).values_list(
                "fingerprint", "pk"
            )
        )
        alert_ids = dict(ids)
        for alert in alerts:
            for n in range(per_alert):
                if len(events) >= size:
                    break
                at = alert[ALERT_COLUMNS.index("first_seen")] + timedelta(minutes=5 * n)
                events.append(
                    (
                        alert[0],
                        f"bench-{done + len(events)}",
                        at,
                        at,
                        alert[1],
                        "resolve" if n == per_alert - 1 else "trigger",
                        alert[3],
                        "incident",
                        alert[6],
                        alert[7],
                        alert[8],
                        "",
                        "",
                        empty,
                        none,
                        empty,
                        "processed",
                        at,
                        alert_ids[alert[1]],
                    )
                )
        write_rows("events_event", EVENT_COLUMNS, events)
        done += len(events)
        if done % 1_000_000 < len(events) or done >= total:
            say(f"  {done:>10,} events ({time.monotonic() - started:.0f} s)")


def seed_snapshots() -> float:
    """The backlog snapshot of each of the last 90 days; returns seconds per day taken."""
    from django.utils import timezone

    from opsdesk.reporting.periods import local_day
    from opsdesk.reporting.services import backlog_snapshot_take

    today = local_day(timezone.now())
    started = time.monotonic()
    for offset in range(SNAPSHOT_DAYS, 0, -1):
        backlog_snapshot_take(day=today - timedelta(days=offset))
    seconds = (time.monotonic() - started) / SNAPSHOT_DAYS
    say(f"  {SNAPSHOT_DAYS} backlog snapshots, {seconds * 1000:.0f} ms each")
    return seconds


def analyze() -> None:
    """Planner statistics; on PostgreSQL a VACUUM too, as autovacuum would have run after a
    load like this, so index-only scans find the table's pages all-visible."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


CASES = [(days, group) for days in (30, 90) for group in ("", "team", "week")]


def measure_metrics(repeat: int) -> list[dict]:
    from opsdesk.reporting.metrics import Filters, all_metrics, compute

    figures = []
    for found in all_metrics():
        samples, slowest, failed = [], ("", 0.0), []
        for days, group in CASES:
            filters = Filters.default(days=days, group_by=group)
            try:
                compute(found.key, filters)  # warm: the first call pays for plans and caches
            except Exception as error:  # a metric's bug is reported, the others still timed
                failed.append(f"{days} d{', by ' + group if group else ''}: {error!r}"[:160])
                continue
            for _ in range(repeat):
                started = time.perf_counter()
                compute(found.key, filters)
                elapsed = (time.perf_counter() - started) * 1000
                samples.append(elapsed)
                if elapsed > slowest[1]:
                    slowest = (f"{days} d{', by ' + group if group else ''}", elapsed)
        for text in failed:
            say(f"  {found.key}: FAILED {text}")
        if not samples:
            continue
        figures.append(
            {
                "key": found.key,
                "p50": statistics.median(samples),
                "p95": percentile(samples, 0.95),
                "slowest": slowest,
                "failed": failed,
            }
        )
        p50, p95 = figures[-1]["p50"], figures[-1]["p95"]
        say(f"  {found.key:<24} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
    return figures


def _agent_client():
    from django.test import Client

    from opsdesk.core.models import User
    from opsdesk.core.roles import Role

    agent = User.objects.filter(groups__name=str(Role.AGENT), is_active=True).first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    # As a browser behind the TLS proxy would (production settings redirect plain HTTP).
    return lambda url: client.get(url, secure=True)


def measure_http(repeat: int) -> list[dict]:
    """The metric API and the dashboards, when they exist, through the test client."""
    from opsdesk.reporting.metrics import all_metrics

    get = _agent_client()
    urls = []
    keys = [m.key for m in all_metrics()]
    if keys and get(f"/api/reports/metrics/{keys[0]}/").status_code == 200:
        for key in keys:
            for days, group in CASES:
                start = (datetime.now(UTC) - timedelta(days=days - 1)).date().isoformat()
                query = f"?start={start}" + (f"&group_by={group}" if group else "")
                urls.append((f"api {key}", f"/api/reports/metrics/{key}/{query}"))
    home = get("/reports/")
    if home.status_code == 200:
        try:
            from opsdesk.reporting.dashboards import DASHBOARDS

            slugs = [f"/reports/{slug}/" for slug in DASHBOARDS]
        except ImportError:  # no dashboards yet: the pages the reports home links to
            found = re.findall(r'href="(/reports/[a-z0-9-]+/)"', home.content.decode())
            slugs = sorted(set(found))
        for url in slugs:
            for days in (30, 90):
                start = (datetime.now(UTC) - timedelta(days=days - 1)).date().isoformat()
                urls.append((f"page {url}", f"{url}?start={start}"))
        urls.append(("page /reports/", "/reports/"))
    samples: dict[str, list[float]] = {}
    for label, url in urls:
        first = get(url)
        if first.status_code != 200:
            say(f"  {url}: {first.status_code}, left out")
            continue
        for _ in range(repeat):
            started = time.perf_counter()
            get(url)
            samples.setdefault(label, []).append((time.perf_counter() - started) * 1000)
    return [
        {"key": label, "p50": statistics.median(s), "p95": percentile(s, 0.95)}
        for label, s in samples.items()
    ]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--count", type=int, help="incidents (PostgreSQL 1,000,000, SQLite 100,000)"
    )
    parser.add_argument("--history", type=int, help="history rows (default: 10 per incident)")
    parser.add_argument("--events", type=int, help="events (default: 5 per incident)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case")
    parser.add_argument("--seed", type=int, default=20261206, help="random seed")
    parser.add_argument("--data-dir", help="use (and keep) this data directory")
    parser.add_argument("--keep", action="store_true", help="keep the database for a next run")
    args = parser.parse_args()
    backend, cleanup = prepare_database(keep=args.keep, data_dir=args.data_dir)
    count = args.count or (1_000_000 if backend == "postgresql" else 100_000)
    try:
        import seed as seeding

        seeding.setup()
        from opsdesk.incidents.models import Incident

        rng = random.Random(args.seed)
        snapshot_seconds = None
        if not _migrated() or not Incident.objects.exists():
            started = time.monotonic()
            seed_incidents(count, rng=rng)
            say("Fact rows, in the database…")
            seed_facts()
            seed_history(args.history or count * 10, count, rng=rng)
            seed_events(args.events or count * 5, rng=rng)
            say("Updating planner statistics (VACUUM ANALYZE)…")
            analyze()
            say("Backlog snapshots…")
            snapshot_seconds = seed_snapshots()
            say("Events into their daily counts (the minute job's rollup)…")
            rolled = time.monotonic()
            from opsdesk.reporting.services.event_counts import event_counts_catch_up

            say(f"  {event_counts_catch_up():,} events in {time.monotonic() - rolled:.0f} s")
            analyze()
            say(f"Seeded in {time.monotonic() - started:.0f} s.")
        else:
            from django.core.management import call_command

            say("Reusing the kept database; applying new migrations (indexes)…")
            call_command("migrate", verbosity=0)
            from opsdesk.reporting.services.event_counts import event_counts_catch_up

            event_counts_catch_up()
            analyze()
        counts = _counts()
        say(f"Timing every metric ({len(CASES)} cases × {args.repeat}), {load_average()}…")
        metrics = measure_metrics(args.repeat)
        say("Timing the metric API and the dashboards, where they exist…")
        pages = measure_http(args.repeat)
        print(f"\nbench/reports.py on {backend}: {counts}; {load_average()}")
        if snapshot_seconds is not None:
            print(f"  nightly backlog snapshot: {snapshot_seconds * 1000:.0f} ms per day")
        print(f"  {'metric':<24} {'p50 ms':>8} {'p95 ms':>8}  slowest case")
        for row in metrics:
            case, ms = row["slowest"]
            print(f"  {row['key']:<24} {row['p50']:8.1f} {row['p95']:8.1f}  {case} ({ms:.0f} ms)")
            for text in row["failed"]:
                print(f"  {'':<24} failed: {text}")
        if pages:
            print(f"  {'over HTTP':<24} {'p50 ms':>8} {'p95 ms':>8}")
            for row in pages:
                print(f"  {row['key']:<24} {row['p50']:8.1f} {row['p95']:8.1f}")
        else:
            print("  (no metric API or dashboards to time over HTTP)")
        print(f"  {load_average()} at the end")
    finally:
        cleanup()


def _counts() -> str:
    from opsdesk.core.models import TicketHistory
    from opsdesk.events.models import Event
    from opsdesk.incidents.models import Incident
    from opsdesk.reporting.models import RecordFact

    return (
        f"{Incident.objects.count():,} incidents, {RecordFact.objects.count():,} fact rows, "
        f"{TicketHistory.objects.count():,} history rows, {Event.objects.count():,} events"
    )


def _migrated() -> bool:
    from django.db import connection

    return "incidents_incident" in connection.introspection.table_names()


if __name__ == "__main__":
    main()
