"""Problem benchmarks: one trend-detection run over 90 days of incidents.

    .venv/bin/python bench/problems.py                    # 100,000 incidents, SQLite temp dir
    .venv/bin/python bench/problems.py --count 20000      # a quicker run

Seeds a temporary SQLite database (the core and CMDB demos, then ``--count`` incident rows
over the last 90 days with ``bench/seed.py``'s writer): about half are the incidents demo's
everyday summaries, repeated thousands of times as a real desk's are; two in five are one-off
calls (a subject, a symptom and an asset tag); the rest are ten recurring failures, each
worded several ways on one service and CI. Incidents name a business service and, most of
the time, a CI of the CMDB demo.

Then a fresh process, as the worker would be, runs trend detection once over the 90 days
(``trend_detect`` with a 90-day window: reading, clustering and writing the candidates) and
prints the elapsed time per phase and its peak resident set size (``getrusage``). ``--keep``
leaves the data directory in place and ``--data-dir`` reuses it.

``--suggest`` measures the known-error suggestion at intake instead:

    .venv/bin/python bench/problems.py --suggest             # SQLite in a temporary data dir
    OPSDESK_DATABASE_URL=postgres://USER@HOST/postgres .venv/bin/python bench/problems.py --suggest

On PostgreSQL it creates (and finally drops) a database named opsdesk_bench_problems; on SQLite
it works in a temporary data directory (``--keep`` keeps either and reuses it next time;
SQLite: pass the same ``--data-dir``). It seeds ``--count`` incidents (default 1,000,000, with
``bench/seed.py``), then ``--known-errors`` problems in a known-error state (default 10,000:
known error, fix in progress or accepted) and a fifth as many in other states, worded from a
vocabulary of systems, faults, conditions and error codes, most on a business service and
many on CIs of the CMDB demo, with incidents linked to them. It then times
``known_error_suggestions`` over ``--texts`` intake texts (what callers type, some naming an
error code, some matching nothing; some with a service or a CI set; a third as a requester on
the portal) and prints p50, p95 and p99.
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DAYS = 90
SUBJECTS = [
    "Outlook",
    "Excel",
    "Word",
    "Teams",
    "Chrome",
    "Edge",
    "laptop",
    "monitor",
    "keyboard",
    "mouse",
    "headset",
    "webcam",
    "docking",
    "station",
    "phone",
    "tablet",
    "printer",
    "scanner",
    "badge",
    "timesheet",
    "expense",
    "invoice",
    "report",
    "dashboard",
    "VPN",
    "Wi-Fi",
    "password",
    "account",
    "mailbox",
    "calendar",
    "share",
    "folder",
]
SYMPTOMS = [
    "crashes on start",
    "is very slow",
    "shows a blank screen",
    "does not save changes",
    "freezes after a minute",
    "gives an access denied error",
    "will not connect",
    "shows the wrong language",
    "keeps asking for the password",
    "has stopped working",
]
# Ten recurring failures, each worded three ways.
FAILURES = {
    "mail": [
        "Mailbox full warning although it is almost empty",
        "False mailbox full error",
        "Outlook says mailbox quota exceeded with an empty mailbox",
    ],
    "vpn": [
        "VPN drops every hour",
        "Lost the VPN tunnel again after an hour",
        "VPN disconnects hourly",
    ],
    "pay": [
        "Payslip PDF times out",
        "Cannot download payslip, timeout",
        "Payslip page never loads the PDF",
    ],
    "erp": [
        "Overnight ERP batch late, stock figures old",
        "ERP nightly batch overran",
        "Stock levels not updated by the batch",
    ],
    "sso": [
        "Single sign-on redirect loop",
        "SSO keeps redirecting to itself",
        "Stuck in an SSO login loop",
    ],
    "print": [
        "Printer E42 paper jam",
        "E42 jam behind the rear flap",
        "Printer stuck with code E42",
    ],
    "share": [
        "File locked by a user who closed it",
        "Shared drive file stays locked",
        "Locked for editing by someone who left",
    ],
    "phone": [
        "One-way audio on external calls",
        "Callers cannot hear me",
        "External calls connect without sound for them",
    ],
    "backup": [
        "Tape backup media error",
        "Backup to tape failed, media error",
        "Weekly tape job failed on the drive",
    ],
    "scan": [
        "Warehouse scanners stop syncing",
        "Scanner sync error, picks not uploaded",
        "Handheld scanners lost sync",
    ],
}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def seed(count: int) -> None:
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
    cis = list(
        ConfigurationItem.objects.exclude(ci_class__key=BUSINESS_SERVICE).values_list(
            "pk", flat=True
        )
    )
    teams = {t.name: t for t in Team.objects.prefetch_related("members")}
    rng = random.Random(90)
    story = seeding.Story(
        rng=rng,
        now=seeding.datetime.now(seeding.UTC).replace(tzinfo=None),
        tree=tree,
        teams=teams,
        members={name: list(team.members.all()) for name, team in teams.items()},
        callers=list(
            User.objects.filter(groups__name=str(Role.REQUESTER)).values_list("pk", flat=True)
        ),
        matrix={(r.impact, r.urgency): r.priority for r in PriorityMatrixRow.objects.all()},
        codes=list(ResolutionCode.objects.values_list("pk", flat=True)),
    )
    seeding.YEARS_DAYS = DAYS  # the rows' opening times spread over the last 90 days
    seeding.COLUMNS = [*seeding.COLUMNS, "service_id", "ci_id"]
    where = {name: (rng.choice(services), rng.choice(cis)) for name in FAILURES}
    text_at = seeding.COLUMNS.index("short_description")
    category_at = seeding.COLUMNS.index("category_id")
    places = {parent.pk: (rng.choice(services), rng.sample(cis, 3)) for parent, _ in tree.values()}
    with transaction.atomic():
        first = incidents_demo._number_block(count)
    say(f"Seeding {count:,} incidents over {DAYS} days…")
    started = time.monotonic()
    done = 0
    while done < count:
        rows = []
        for i in range(min(seeding.BATCH, count - done)):
            row = list(story.row(f"{Incident.NUMBER_PREFIX}{first + done + i:07d}"))
            draw = rng.random()
            # An everyday call is on the service of its kind, often on one of its few CIs.
            service, their_cis = places[row[category_at]]
            ci = rng.choice(their_cis) if rng.random() < 0.6 else None
            if draw < 0.05:
                name = rng.choice(list(FAILURES))
                row[text_at] = rng.choice(FAILURES[name])
                service, ci = where[name]
            elif draw < 0.45:
                tag = f"PC-{rng.randrange(100_000):05d}"
                row[text_at] = f"{rng.choice(SUBJECTS)} {rng.choice(SYMPTOMS)} on {tag}"
                service, ci = rng.choice(services), None
            rows.append((*row, service, ci))
        seeding.write(rows)
        done += len(rows)
    say(f"  {done:,} incidents in {time.monotonic() - started:.0f} s")


def detect() -> None:
    from opsdesk.core.context import action_context
    from opsdesk.problems.trends.detect import TrendSettings
    from opsdesk.problems.trends.services import trend_detect

    started = time.monotonic()
    with action_context(source="worker"):
        run = trend_detect(settings=TrendSettings(window_days=DAYS))
    elapsed = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "incidents": run.looked_at,
                "candidates": len(run.found),
                "seconds": round(elapsed, 1),
                "phases": {k: round(v, 1) for k, v in run.seconds.items()},
                "peak_rss_mib": round(peak_kib / 1024),
            }
        )
    )


# --- Known-error suggestion at intake (--suggest) -------------------------------------------

BENCH_DB = "opsdesk_bench_problems"
# What fails, how, and when: a known error's words come from these, so that a caller's words
# match hundreds of known errors partly and a few well, as on a real KEDB.
SYSTEMS = [
    *SUBJECTS,
    "SAP",
    "Workday",
    "Salesforce",
    "Citrix",
    "Jira",
    "Confluence",
    "SharePoint",
    "OneDrive",
    "Zoom",
    "Slack",
    "payroll",
    "payslip",
    "ERP",
    "CRM",
    "warehouse",
    "handheld",
    "barcode",
    "intranet",
    "HR portal",
    "self-service portal",
    "file server",
    "remote desktop",
    "MFA",
    "authenticator",
    "certificate",
    "proxy",
    "firewall",
    "DNS",
    "DHCP",
    "backup",
    "tape",
    "database",
    "reporting",
    "BI",
    "Power BI",
    "Tableau",
    "softphone",
    "voicemail",
    "meeting room",
    "projector",
    "kiosk",
    "till",
    "point of sale",
    "label printer",
    "plotter",
    "CAD",
    "Adobe Reader",
    "Acrobat",
    "Java",
    "browser",
    "antivirus",
    "encryption",
    "BitLocker",
    "OneNote",
    "PowerPoint",
]
FAULTS = [
    *SYMPTOMS,
    "times out",
    "drops the connection",
    "shows a blank page",
    "rejects the password",
    "fails to sync",
    "runs very slowly",
    "hangs on loading",
    "loses the session",
    "shows an old version",
    "prints garbled characters",
    "cannot find the server",
    "logs the user out",
    "reports a certificate error",
    "opens a redirect loop",
    "duplicates every entry",
    "sends mail twice",
    "shows the wrong totals",
    "cannot attach files",
    "refuses the licence",
    "shows no data",
    "plays no sound",
    "uses all the memory",
    "fills the disk",
    "locks the account",
    "cannot open attachments",
    "stops responding",
    "shows error 500",
    "will not install",
    "misses the overnight run",
    "rounds the figures wrong",
]
CONDITIONS = [
    "after the latest update",
    "when on the VPN",
    "on Monday mornings",
    "with large attachments",
    "for users in the Leeds office",
    "after a password change",
    "on docked laptops",
    "over hotel Wi-Fi",
    "for new starters",
    "at month end",
    "when two monitors are attached",
    "after waking from sleep",
    "on the second floor",
    "for shared mailboxes",
    "in the Madrid warehouse",
    "when printing double sided",
    "for external guests",
    "on Windows 11",
    "on macOS",
    "from home",
    "during the backup window",
    "after the certificate renewal",
    "with more than ten tabs",
    "on the night shift",
    "for managers approving expenses",
]
WORKAROUNDS = [
    "Restart {system} and clear its cache.",
    "Use the web version of {system} until the fix is out.",
    "Reinstall {system} from Software Center.",
    "Sign out of {system}, then sign in again.",
    "Connect by cable instead of Wi-Fi, then retry {system}.",
    "Roll back to the previous {system} version.",
    "Ask the Service Desk to reset the {system} profile.",
    "Save locally and upload to {system} afterwards.",
    "Disconnect the VPN and reconnect before opening {system}.",
    "Run the repair tool in the {system} settings.",
]
ROOT_CAUSES = [
    "A faulty {system} update changed the default settings.",
    "The certificate on the {system} gateway expired.",
    "A memory leak in the {system} client.",
    "The {system} server runs out of connections under load.",
    "A group policy conflicts with {system}.",
    "The supplier's {system} service has a known defect.",
]
# How the rest of a known error is worded varies, so that no word is in all of them.
DESCRIPTIONS = [
    "Reported by several callers: {system} {fault}.",
    "Seen first {condition}; {system} also {fault}.",
    "Raised from a major incident on {system}.",
    "Trend detection found calls where {system} {fault}.",
    "The supplier confirmed that {system} {fault}.",
    "",
]
ALSO = ["sometimes it", "then it", "at times it also", "a few minutes later it", "or it"]
SEEN = [
    "The screen shows {code}.",
    "Users see {code}.",
    "The event log has {code}.",
    "{code} in the client's log.",
    "Callers quote {code}.",
    "",
]
CALLER_OPENINGS = ["", "Hi, ", "Hello, ", "Urgent: ", "Since this morning ", "Again: "]
CALLER_ENDINGS = ["", ", please help", " since yesterday", ". Tried a restart.", " for everyone"]
NOTHING_KNOWN = [
    "Need a new chair for my desk",
    "Please order a second monitor",
    "Request access to the finance share",
    "How do I book annual leave",
    "New starter next week needs an account",
]


def prepare_database(*, keep: bool, data_dir: str | None):
    """Point opsdesk at a throwaway database; returns (backend, cleanup)."""
    import seed as seeding

    return seeding.throwaway_database(BENCH_DB, keep=keep, data_dir=data_dir)


def seed_known_errors(count: int, *, rng: random.Random) -> None:
    """``count`` known errors and a fifth as many problems in other states, with their
    services, CIs and linked incidents, in bulk (no history, audit or outbox rows: the
    suggestion reads none of them)."""
    from datetime import UTC, datetime

    from django.db import transaction
    from django.db.models import F, Max, Min

    from opsdesk.cmdb.models import BUSINESS_SERVICE, ConfigurationItem
    from opsdesk.core.models import NumberSequence, Team, User
    from opsdesk.core.numbering import number_next
    from opsdesk.incidents.models import Incident
    from opsdesk.problems.models import Problem, ProblemIncident, ProblemState

    services = list(
        ConfigurationItem.objects.filter(ci_class__key=BUSINESS_SERVICE).values_list(
            "pk", flat=True
        )
    )
    cis = list(
        ConfigurationItem.objects.exclude(ci_class__key=BUSINESS_SERVICE).values_list(
            "pk", flat=True
        )
    )
    manager = User.objects.get(username="agent")
    teams = list(Team.objects.values_list("pk", flat=True))
    others = count // 5
    total = count + others
    with transaction.atomic():
        first = int(number_next(prefix=Problem.NUMBER_PREFIX)[len(Problem.NUMBER_PREFIX) :])
        NumberSequence.objects.filter(prefix=Problem.NUMBER_PREFIX).update(
            last_value=F("last_value") + total - 1
        )
    known = [ProblemState.KNOWN_ERROR] * 6 + [ProblemState.FIX_IN_PROGRESS] * 3
    known.append(ProblemState.ACCEPTED)
    elsewhere = [
        ProblemState.NEW,
        ProblemState.ROOT_CAUSE_ANALYSIS,
        ProblemState.RESOLVED,
        ProblemState.CLOSED,
    ]
    now = time.time()
    say(f"Seeding {count:,} known errors and {others:,} other problems…")
    started = time.monotonic()
    # Linked incidents from the whole range of seeded ones (their ids are dense).
    low, high = Incident.objects.aggregate(low=Min("pk"), high=Max("pk")).values()
    incident_ids = range(low or 0, (high or 0) + 1)

    for start in range(0, total, 1000):
        problems = []
        for i in range(start, min(start + 1000, total)):
            system = rng.choice(SYSTEMS)
            fault, other_fault = rng.sample(FAULTS, 2)
            condition = rng.choice(CONDITIONS)
            code = f"E{rng.randrange(10_000):04d}"
            opened = datetime.fromtimestamp(now - rng.uniform(0, 3 * 365 * 86400), UTC)
            problems.append(
                Problem(
                    number=f"{Problem.NUMBER_PREFIX}{first + i:07d}",
                    short_description=f"{system} {fault} {condition}"[:200],
                    description=rng.choice(DESCRIPTIONS).format(
                        system=system, fault=other_fault, condition=rng.choice(CONDITIONS)
                    ),
                    symptoms=(
                        f"{system} {fault} {condition}; {rng.choice(ALSO)} {other_fault}. "
                        + rng.choice(SEEN).format(code=code)
                    ),
                    root_cause=rng.choice(ROOT_CAUSES).format(system=system),
                    workaround=rng.choice(WORKAROUNDS).format(system=system),
                    workaround_public=rng.random() < 0.4,
                    state=rng.choice(known) if i < count else rng.choice(elsewhere),
                    caller=manager,
                    problem_manager=manager,
                    assignment_group_id=rng.choice(teams),
                    opened_at=opened,
                    root_cause_at=opened,
                    incident_count=0,
                )
            )
        with transaction.atomic():
            made = Problem.objects.bulk_create(problems)
            on_service, on_ci, links = [], [], []
            for problem in made:
                if rng.random() < 0.85:
                    on_service.append(
                        Problem.services.through(
                            problem_id=problem.pk, configurationitem_id=rng.choice(services)
                        )
                    )
                for ci in rng.sample(cis, rng.choice((0, 1, 1, 2))):
                    on_ci.append(
                        Problem.cis.through(problem_id=problem.pk, configurationitem_id=ci)
                    )
                for incident in rng.sample(incident_ids, rng.choice((0, 1, 3, 5))):
                    links.append(ProblemIncident(problem_id=problem.pk, incident_id=incident))
            Problem.services.through.objects.bulk_create(on_service)
            Problem.cis.through.objects.bulk_create(on_ci)
            ProblemIncident.objects.bulk_create(links)
    say(f"  {total:,} problems in {time.monotonic() - started:.0f} s")


def intake_texts(count: int, *, rng: random.Random) -> list[str]:
    """What callers type: a system and a fault in their own words, sometimes the condition or
    the error code on their screen, sometimes nothing any known error is about."""
    texts = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.1:
            texts.append(rng.choice(NOTHING_KNOWN))
            continue
        text = f"{rng.choice(CALLER_OPENINGS)}my {rng.choice(SYSTEMS)} {rng.choice(FAULTS)}"
        if draw < 0.5:
            text += f" {rng.choice(CONDITIONS)}"
        if draw > 0.85:
            text += f", it shows E{rng.randrange(10_000):04d}"
        texts.append(text + rng.choice(CALLER_ENDINGS))
    return texts


def measure_suggestions(count: int, *, repeat: int, rng: random.Random) -> dict:
    from django.db import reset_queries

    from opsdesk.cmdb.models import BUSINESS_SERVICE, ConfigurationItem
    from opsdesk.core.models import User
    from opsdesk.problems.selectors import known_error_suggestions

    agent = User.objects.get(username="agent")
    requester = User.objects.get(username="requester")
    services = list(
        ConfigurationItem.objects.filter(ci_class__key=BUSINESS_SERVICE).values_list(
            "pk", flat=True
        )
    )
    cis = list(
        ConfigurationItem.objects.exclude(ci_class__key=BUSINESS_SERVICE).values_list(
            "pk", flat=True
        )
    )
    cases = []
    for text in intake_texts(count, rng=rng):
        if rng.random() < 1 / 3:
            # The portal: a requester, two suggestions, no service or CI.
            cases.append({"viewer": requester, "text": text, "limit": 2})
            continue
        case = {"viewer": agent, "text": text}
        if rng.random() < 0.4:
            case["service_id"] = rng.choice(services)
        if rng.random() < 0.2:
            case["ci_id"] = rng.choice(cis)
        cases.append(case)
    for case in cases[:10]:  # warm the connection, the caches and the query plans
        known_error_suggestions(**case)
    # Every text is timed ``repeat`` times, in rounds: the first round is what a caller would
    # see; the fastest of the rounds shows the work itself on a machine others are loading.
    rounds: list[list[float]] = []
    cpu: list[float] = []
    suggested = 0
    for _ in range(repeat):
        samples = []
        for case in cases:
            reset_queries()
            started, cpu_started = time.perf_counter(), time.process_time()
            found = known_error_suggestions(**case)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            suggested += bool(found)
        rounds.append(samples)
    return {
        "first": rounds[0],
        "fastest": [min(times) for times in zip(*rounds, strict=True)],
        "cpu": cpu,
        "suggested": suggested // repeat,
        "cases": len(cases),
    }


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def suggest(args) -> None:
    backend, cleanup = prepare_database(keep=args.keep, data_dir=args.data_dir)
    import seed as seeding

    seeding.setup()
    try:
        from django.core.management import call_command
        from django.db import connection

        from opsdesk.cmdb import demo as cmdb_demo
        from opsdesk.core import demo as core_demo
        from opsdesk.incidents.models import Incident
        from opsdesk.problems.models import KNOWN_ERROR_STATES, Problem

        say(f"Backend: {backend}. Creating the schema and the core and CMDB demos…")
        call_command("migrate", verbosity=0)
        core_demo.load(progress=lambda text: None)
        cmdb_demo.load(progress=lambda text: None)
        count = args.count or 1_000_000
        have = Incident.objects.count()
        if have < count:
            seeding.seed(count - have, seed_value=20240601)
        known = Problem.objects.filter(state__in=list(KNOWN_ERROR_STATES)).count()
        if known < args.known_errors:
            seed_known_errors(args.known_errors - known, rng=random.Random(12))
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        incidents = Incident.objects.count()
        known = Problem.objects.filter(state__in=list(KNOWN_ERROR_STATES)).count()
        say(f"Timing {args.texts} suggestions…")
        load = os.getloadavg()[0]
        figures = measure_suggestions(args.texts, repeat=args.repeat, rng=random.Random(7))
        print(
            f"known-error suggestion, {backend}: {known:,} known errors "
            f"({Problem.objects.count():,} problems), {incidents:,} incidents; "
            f"{figures['cases']} intake texts, {figures['suggested']} with suggestions; "
            f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after"
        )
        for label, samples in (
            ("first round", figures["first"]),
            (f"fastest of {args.repeat}", figures["fastest"]),
            ("CPU of this process", figures["cpu"]),
        ):
            p50, p95, p99 = (percentile(samples, f) for f in (0.5, 0.95, 0.99))
            print(
                f"  {label:<20} p50 {p50:6.1f} ms, p95 {p95:6.1f} ms, p99 {p99:6.1f} ms, "
                f"max {max(samples):6.1f} ms"
            )
    finally:
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--count", type=int, help="incidents to seed (trends: 100,000; --suggest: 1,000,000)"
    )
    parser.add_argument(
        "--suggest", action="store_true", help="time the known-error suggestion at intake"
    )
    parser.add_argument("--known-errors", type=int, default=10_000, help="with --suggest")
    parser.add_argument("--texts", type=int, default=300, help="intake texts, with --suggest")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of timing, with --suggest")
    parser.add_argument("--data-dir", help="use (and keep) this data directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--detect", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.suggest:
        suggest(args)
        return
    if args.detect:
        import seed as seeding

        seeding.setup()
        detect()
        return
    root = Path(tempfile.mkdtemp(prefix="opsdesk-bench-problems-"))
    data_dir = Path(args.data_dir) if args.data_dir else root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    # The audit key and checkpoint go next to the throwaway data, not in the user's config.
    config_dir = data_dir.with_name(data_dir.name + "-config")
    env = {
        **os.environ,
        "OPSDESK_DATA_DIR": str(data_dir),
        "OPSDESK_CONFIG_DIR": str(config_dir),
        "OPSDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("OPSDESK_DATABASE_URL", None)  # SQLite in the data directory
    os.environ.pop("OPSDESK_DATABASE_URL", None)
    os.environ.update(env)
    try:
        import seed as seeding

        seeding.setup()
        from opsdesk.incidents.models import Incident

        if not _migrated() or not Incident.objects.exists():
            seed(args.count or 100_000)
        say("Trend detection, once, in a fresh process…")
        answer = subprocess.run(
            [sys.executable, __file__, "--detect"], env=env, check=True, stdout=subprocess.PIPE
        )
        figures = json.loads(answer.stdout)
        print(
            f"trend detection over {figures['incidents']:,} incidents in {DAYS} days: "
            f"{figures['seconds']} s (reading {figures['phases']['reading']} s, clustering "
            f"{figures['phases']['clustering']} s, writing {figures['phases']['writing']} s), "
            f"{figures['candidates']} candidates, peak RSS {figures['peak_rss_mib']} MiB"
        )
    finally:
        if args.data_dir or not args.keep:
            shutil.rmtree(root, ignore_errors=True)  # a --data-dir stays where it is
        else:
            say(f"Kept {data_dir}")


def _migrated() -> bool:
    from django.db import connection

    return "incidents_incident" in connection.introspection.table_names()


if __name__ == "__main__":
    main()
