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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--data-dir", help="use (and keep) this data directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--detect", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
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
            seed(args.count)
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
