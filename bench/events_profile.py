"""Where event ingestion spends its time, in one process: ingest, processing, outbox.

    .venv/bin/python bench/events_profile.py [--requests 100] [--workload new|repeat] [--profile]
    OPSDESK_DATABASE_URL=postgres://USER@HOST:5432/postgres .venv/bin/python bench/events_profile.py

Posts ``--requests`` Alertmanager webhook bodies of 100 alerts (those of ``bench/events.py``)
through Django's test client, with its whole middleware and DRF stack but without HTTP, then
processes the backlog, then delivers the outbox; each phase is timed and its statements counted
(the slowest statements are listed with their time). ``repeat`` sends the same alerts once
before the timed pass, so that every timed event repeats an open alert. ``--profile`` runs each
phase under cProfile and prints its top functions. The database is a throwaway one, as in
``bench/events.py``.
"""

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import events as bench  # bench/events.py: bodies, throwaway database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--workload", choices=["new", "repeat"], default="new")
    parser.add_argument("--profile", action="store_true", help="cProfile each phase")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key")
    parser.add_argument("--top", type=int, default=35, help="functions shown per phase")
    args = parser.parse_args()

    os.environ["OPSDESK_HTTPS"] = "false"
    os.environ.setdefault("OPSDESK_SECRET_KEY", "bench-only-" + "x" * 40)
    backend, cleanup = bench.prepare_database()
    try:
        subprocess.run([bench.OPSDESK, "migrate", "-v", "0"], check=True, cwd=bench.ROOT)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
        import django

        django.setup()
        run(args, backend)
    finally:
        cleanup()


def run(args, backend: str) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from huey.contrib.djhuey import HUEY

    from opsdesk.core.outbox import outbox_deliver_due
    from opsdesk.events import processing

    HUEY.immediate = False  # processing is timed on its own, not inside each request
    path = bench.create_integration()
    client = Client(HTTP_HOST="127.0.0.1")
    run_id = f"{int(time.time())}"
    n = args.requests
    bodies = [
        bench.webhook(
            [bench.alert(f"{run_id}-n{i * 100 + j}", i * 100 + j) for j in range(bench.PER_REQUEST)]
        )
        for i in range(n)
    ]

    def ingest(prefix: str) -> None:
        for i, body in enumerate(bodies):
            response = client.post(
                path,
                data=body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"{run_id}-{prefix}-{i}",
            )
            assert response.status_code == 202, response.content

    def outbox() -> None:
        while outbox_deliver_due(limit=200)[0]:
            pass

    if args.workload == "repeat":
        ingest("first")
        processing.events_process_all()
        outbox()

    events = n * bench.PER_REQUEST
    print(f"{backend}: {n} requests of {bench.PER_REQUEST} alerts, workload {args.workload}")
    phases = (
        ("ingest", lambda: ingest("timed")),
        ("processing", processing.events_process_all),
        ("outbox", outbox),
    )
    for name, phase in phases:
        profile = cProfile.Profile()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            if args.profile:
                profile.enable()
            phase()
            if args.profile:
                profile.disable()
            elapsed = time.perf_counter() - started
        print(
            f"  {name}: {elapsed:.2f} s -> {events / elapsed:,.0f} events/s; "
            f"{len(queries)} statements through Django"
        )
        by_statement: dict[str, list] = {}
        for query in queries.captured_queries:
            entry = by_statement.setdefault(query["sql"][:80], [0, 0.0])
            entry[0] += 1
            entry[1] += float(query["time"])
        slowest = sorted(by_statement.items(), key=lambda item: -item[1][1])[:5]
        for sql, (count, seconds) in slowest:
            print(f"    {seconds:6.2f} s {count:5d}x {sql}")
        if args.profile:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
