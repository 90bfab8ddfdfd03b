"""Request fulfilment benchmarks: ordering through the API, the catalog and an approver's inbox.

    .venv/bin/python bench/requests.py                       # SQLite in a temporary data dir
    .venv/bin/python bench/requests.py --requests 20000      # a quicker run over fewer requests
    OPSDESK_DATABASE_URL=postgres://USER@HOST:5432/postgres .venv/bin/python bench/requests.py

On PostgreSQL it creates (and finally drops) a database named opsdesk_bench_requests on the
server OPSDESK_DATABASE_URL points at. It starts ``opsdesk web`` on 127.0.0.1 and sends load
only there, bounded in count and time:

(a) POST /api/requests/requests/ ordering one item whose form has 20 fields (text, numbers,
    dates, choices, a checkbox, an e-mail), at concurrency 1 and 8; and, for comparison,
    POST /api/incidents/incidents/ at the same concurrency: orders and incidents per second,
    p50/p95. An order validates every answer, writes the request, its item, twenty typed
    answers, the plan's first task and their history, audit and outbox rows.
(b) after seeding ``--items`` catalog items and ``--requests`` requests (each with its item,
    an approval, its stage and an approver's request, spread over 50 approvers), p50/p95 of
    the portal catalog page (a requester), the catalog searched for a word, and the approver's
    "My approvals" page.

The goals in docs/benchmarks.md: ordering no slower than creating an incident; the catalog and
the inbox p95 under 100 ms.
"""

import argparse
import os
import random
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import incidents as bench  # noqa: E402
import seed  # noqa: E402

# This file is named like the HTTP library; once its neighbours are imported, take bench/ off
# the path again so that ``import requests`` anywhere in opsdesk finds the library, not this.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

bench.BENCH_DB = "opsdesk_bench_requests"
say, summary = bench.say, bench.summary

FORM = (
    [{"key": f"text_{n}", "label": f"Text {n}", "type": "text", "required": True} for n in range(6)]
    + [
        {"key": f"number_{n}", "label": f"Number {n}", "type": "number", "min": 0, "max": 1000}
        for n in range(4)
    ]
    + [{"key": f"date_{n}", "label": f"Date {n}", "type": "date"} for n in range(3)]
    + [
        {
            "key": f"choice_{n}",
            "label": f"Choice {n}",
            "type": "single_choice",
            "choices": [{"value": v, "label": v.title()} for v in ("small", "medium", "large")],
        }
        for n in range(3)
    ]
    + [
        {"key": "notes", "label": "Notes", "type": "long_text"},
        {"key": "urgent", "label": "Urgent", "type": "checkbox"},
        {"key": "contact", "label": "Contact", "type": "email"},
        {
            "key": "why_urgent",
            "label": "Why urgent",
            "type": "text",
            "visible_if": "urgent == true",
            "required_if": "urgent == true",
        },
    ]
)


def answers(n: int) -> dict:
    return {
        **{f"text_{i}": f"Answer {i} of order {n}" for i in range(6)},
        **{f"number_{i}": str(n % 1000) for i in range(4)},
        **{f"date_{i}": "2027-01-15" for i in range(3)},
        **{f"choice_{i}": "medium" for i in range(3)},
        "notes": "Deliver to the second floor, desk 4.12.",
        "urgent": True,
        "contact": "riley@example.com",
        "why_urgent": "Starts on Monday",
    }


def setup_catalog(items: int):
    """A bench item with the 20-field form and a one-step plan, and ``items`` more to browse."""
    from opsdesk.core.formschema import form_schema_save
    from opsdesk.core.models import Team, User
    from opsdesk.service_requests.models import CatalogCategory, CatalogItem, PlanStep

    admin = User.objects.get(username="cio")
    desk = Team.objects.get(name="Service Desk")
    form = form_schema_save(actor=admin, name="Bench form", slug="bench-form", fields=FORM)
    categories = [
        CatalogCategory.objects.create(name=f"Category {n}", slug=f"category-{n}", order=n)
        for n in range(10)
    ]
    bench_item = CatalogItem.objects.create(
        category=categories[0],
        name="Bench laptop",
        slug="bench-laptop",
        short_description="A laptop ordered by the benchmark.",
        owner_team=desk,
        form=form,
        standard=True,
    )
    PlanStep.objects.create(item=bench_item, name="Build it", team=desk)
    words = ["laptop", "monitor", "licence", "access", "mailbox", "phone", "drive", "vpn"]
    CatalogItem.objects.bulk_create(
        [
            CatalogItem(
                category=categories[n % 10],
                name=f"{words[n % len(words)].title()} option {n}",
                slug=f"item-{n}",
                short_description=f"A {words[n % len(words)]} for the team, variant {n}.",
                keywords=words[(n + 3) % len(words)],
                owner_team=desk,
                order_count=n % 97,
            )
            for n in range(items - 1)
        ]
    )
    return bench_item


def seed_requests(count: int, *, approver) -> int:
    """``count`` requests, each with one item, an approval, its stage run and one approver's
    request; the bench approver gets every 50th. Written with bulk inserts, no audit rows."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from opsdesk.approvals.models import (
        Approval,
        ApprovalRequest,
        ApprovalScheme,
        ApprovalStage,
        ApprovalStageRun,
    )
    from opsdesk.core.models import Team, User
    from opsdesk.service_requests.models import CatalogItem, RequestItem, ServiceRequest

    rng = random.Random(20261204)
    people = list(User.objects.filter(groups__name="requester").exclude(pk=approver.pk)[:60])
    approvers = [approver, *list(User.objects.filter(groups__name="agent")[:49])]
    items = list(CatalogItem.objects.all()[:500])
    desk = Team.objects.get(name="Service Desk")
    scheme = ApprovalScheme.objects.create(name="Bench approval")
    stage = ApprovalStage.objects.create(scheme=scheme, position=1, name="Manager", rule="any")
    kind = ContentType.objects.get_for_model(RequestItem)
    now = timezone.now()
    batch = 5000
    for start in range(0, count, batch):
        size = min(batch, count - start)
        moments = [now - timedelta(minutes=rng.randint(1, 60 * 24 * 180)) for _ in range(size)]
        callers = [rng.choice(people) for _ in range(size)]
        reqs = ServiceRequest.objects.bulk_create(
            [
                ServiceRequest(
                    number=f"REQB{start + n:07d}",
                    short_description="Bench order",
                    caller=callers[n],
                    requested_for=callers[n],
                    state="awaiting_approval",
                    assignment_group=desk,
                    opened_at=moments[n],
                )
                for n in range(size)
            ]
        )
        ritms = RequestItem.objects.bulk_create(
            [
                RequestItem(
                    number=f"RITMB{start + n:07d}",
                    request=req,
                    catalog_item=items[(start + n) % len(items)],
                    short_description="Bench item",
                    caller=req.caller,
                    requested_for=req.caller,
                    state="awaiting_approval",
                    assignment_group=desk,
                    opened_at=req.opened_at,
                )
                for n, req in enumerate(reqs)
            ]
        )
        approvals = Approval.objects.bulk_create(
            [
                Approval(
                    subject_type=kind,
                    subject_id=ritm.pk,
                    scheme=scheme,
                    current_stage=stage,
                    requested_for=ritm.caller,
                    answers={"cost": 100},
                )
                for ritm in ritms
            ]
        )
        runs = ApprovalStageRun.objects.bulk_create(
            [
                ApprovalStageRun(approval=a, stage=stage, position=1, started_at=r.opened_at)
                for a, r in zip(approvals, ritms, strict=True)
            ]
        )
        decided = [rng.random() < 0.8 for _ in runs]
        ApprovalRequest.objects.bulk_create(
            [
                ApprovalRequest(
                    run=run,
                    approver=approvers[(start + n) % len(approvers)],
                    state="approved" if decided[n] else "pending",
                    created_at=run.started_at,
                    decided_at=run.started_at + timedelta(hours=3) if decided[n] else None,
                )
                for n, run in enumerate(runs)
            ]
        )
    return ApprovalRequest.objects.filter(approver=approver).count()


def order_load(port, headers, *, path, body_for, concurrency, requests, seconds):
    latencies, failures, lock = [], [], threading.Lock()
    left = [requests]
    deadline = time.monotonic() + seconds

    def worker(index):
        client = bench.Client(port, headers)
        n = 0
        while time.monotonic() < deadline:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            n += 1
            try:
                status, payload, ms = client.call("POST", path, body_for(index * 100000 + n))
            except OSError as error:
                status, payload, ms = 0, str(error).encode(), 0.0
            with lock:
                (latencies if status == 201 else failures).append(ms if status == 201 else payload)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    if failures:
        say(f"  {len(failures)} failed, e.g. {failures[0][:300]!r}")
    return len(latencies) / elapsed, latencies, len(failures)


def session(user) -> dict:
    from django.conf import settings
    from django.test import Client as DjangoClient

    browser = DjangoClient()
    browser.force_login(user)
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}


def page_latency(client, path, repeats):
    samples = []
    for _ in range(repeats):
        status, payload, ms = client.call("GET", path)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}: {payload[:300]!r}")
        samples.append(ms)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=500, help="catalog items")
    parser.add_argument("--requests", type=int, default=100_000, help="requests to seed")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--orders", type=int, default=300, help="orders per concurrency")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--repeats", type=int, default=50, help="timings per page")
    parser.add_argument("--data-dir", help="SQLite: the data directory to use")
    args = parser.parse_args()

    backend, cleanup = bench.prepare_database(keep=False, data_dir=args.data_dir)
    seed.setup()
    server = None
    try:
        from django.contrib.auth.models import Group
        from django.core.management import call_command

        from opsdesk.core import demo as core_demo
        from opsdesk.core.models import User
        from opsdesk.core.roles import Role
        from opsdesk.core.services import token_create
        from opsdesk.incidents import demo as incidents_demo

        say(f"Backend: {backend}. Creating the schema, the demo people and the catalog…")
        call_command("migrate", verbosity=0)
        core_demo.load(progress=lambda text: None)
        incidents_demo._categories(lambda text: None)
        setup_catalog(args.items)
        requester = User.objects.get(username="requester")
        agent = User.objects.get(username="agent")
        approver = User.objects.get(username="cio")
        approver.groups.add(Group.objects.get_or_create(name=str(Role.APPROVER))[0])
        _, requester_secret = token_create(actor=None, user=requester, name="bench")
        _, agent_secret = token_create(actor=None, user=agent, name="bench")
        port = bench.free_port()
        server = bench.start_server(port, args.workers)
        print(f"backend                {backend}, gunicorn {args.workers} workers x 4 threads")

        def order(n):
            return {"items": [{"catalog_item": "bench-laptop", "answers": answers(n)}]}

        def incident(n):
            return {
                "short_description": f"Printer on floor {n % 9} jams",
                "description": "Paper jams after every second page.",
                "impact": 3,
                "urgency": 3,
                "channel": "phone",
            }

        cases = [
            ("order (20 answers)", "/api/requests/requests/", order, requester_secret),
            ("incident", "/api/incidents/incidents/", incident, agent_secret),
        ]
        for concurrency in (1, 8):
            for label, path, body_for, secret in cases:
                headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
                rate, samples, failed = order_load(
                    port,
                    headers,
                    path=path,
                    body_for=body_for,
                    concurrency=concurrency,
                    requests=args.orders,
                    seconds=args.seconds,
                )
                print(
                    f"{label:<19} c={concurrency:<2} {rate:6.1f}/s, {summary(samples)} "
                    f"({len(samples)} created, {failed} failed)"
                )

        say(f"Seeding {args.requests:,} requests with their approvals…")
        began = time.monotonic()
        mine = seed_requests(args.requests, approver=approver)
        say(f"  seeded in {time.monotonic() - began:.0f} s")
        from opsdesk.service_requests.models import CatalogItem, ServiceRequest

        print(
            f"catalog items          {CatalogItem.objects.count():,}; requests "
            f"{ServiceRequest.objects.count():,}; the approver's requests {mine:,}"
        )
        portal = bench.Client(port, session(requester))
        inbox = bench.Client(port, session(approver))
        for label, client, path in (
            ("portal catalog", portal, "/portal/catalog/"),
            ("catalog search", portal, "/portal/catalog/?q=laptop"),
            ("approver's inbox", inbox, "/approvals/"),
        ):
            samples = page_latency(client, path, args.repeats)
            print(f"page {label:<17} {summary(samples)}")
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(timeout=15)
        cleanup()


if __name__ == "__main__":
    main()
