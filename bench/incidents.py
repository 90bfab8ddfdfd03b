"""Incident benchmarks: creation through the REST API, and queue pages over a million incidents.

    .venv/bin/python bench/incidents.py                       # SQLite in a temporary data dir
    .venv/bin/python bench/incidents.py --count 50000         # a quick run over fewer incidents
    OPSDESK_DATABASE_URL=postgres://USER@HOST:5432/postgres .venv/bin/python bench/incidents.py

On PostgreSQL it creates (and finally drops) a database named opsdesk_bench_incidents on the
server OPSDESK_DATABASE_URL points at; on SQLite it works in a temporary data directory.
``--keep`` leaves the seeded database in place and reuses it next time (SQLite: pass the same
``--data-dir``). ``--sla`` also loads the demo SLA calendars and incident policies, so that
every incident created starts its response, resolution and OLA clocks. It starts
``opsdesk web`` on 127.0.0.1 and sends load only there, bounded in count and time:

(a) POST /api/incidents/incidents/ at concurrency 1 and 8: incidents per second, p50/p95;
(b) after seeding ``--count`` incidents (bench/seed.py): p50/p95 of the first page and of a
    deep page of the "all open" and "my teams' unassigned" queues, through the API list
    endpoint and through the agent workspace pages, signed in as an agent.
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

BENCH_DB = "opsdesk_bench_incidents"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare_database(*, keep: bool, data_dir: str | None):
    """Point opsdesk at a throwaway database; returns (backend, cleanup)."""
    url = os.environ.get("OPSDESK_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
            if not (keep and exists.fetchone()):
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
                conn.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["OPSDESK_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
        os.environ["OPSDESK_DATA_DIR"] = data_dir or tempfile.mkdtemp(prefix="opsdesk-bench-")

        def cleanup():
            from django.db import connections

            connections.close_all()
            if not keep:
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")

        return "postgresql", cleanup
    if url and not url.startswith("sqlite"):
        raise SystemExit(f"Unsupported OPSDESK_DATABASE_URL scheme: {url.split(':', 1)[0]}")
    if data_dir:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    else:
        data_dir = tempfile.mkdtemp(prefix="opsdesk-bench-")
    os.environ.pop("OPSDESK_DATABASE_URL", None)
    os.environ["OPSDESK_DATA_DIR"] = data_dir
    if keep:
        return "sqlite", lambda: say(f"Kept the database in {data_dir}")
    return "sqlite", lambda: shutil.rmtree(data_dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "OPSDESK_HTTPS": "false", "OPSDESK_LOG_LEVEL": "WARNING"}
    cmd = [str(ROOT / ".venv/bin/opsdesk"), "web", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*cmd, "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("The web server did not start within 60 s.")


class Client:
    """One keep-alive connection to the local server; each call returns (status, body, ms)."""

    def __init__(self, port: int, headers: dict):
        self.port, self.headers = port, headers
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        began = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        return response.status, payload, (time.perf_counter() - began) * 1000


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):6.1f} ms, p95 {percentile(samples, 0.95):6.1f} ms"


def create_load(port, headers, *, concurrency: int, requests: int, seconds: float):
    """POST incidents from ``concurrency`` threads until ``requests`` or ``seconds`` run out."""
    latencies, failures, lock = [], [], threading.Lock()
    left = [requests]
    deadline = time.monotonic() + seconds

    def worker(index: int):
        client = Client(port, headers)
        n = 0
        while time.monotonic() < deadline:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            n += 1
            body = {
                "short_description": f"Printer on floor {index} jams ({n})",
                "description": "Paper jams after every second page.",
                "impact": 1 + n % 3,
                "urgency": 1 + (n // 3) % 3,
                "channel": "phone",
            }
            try:
                status, payload, ms = client.call("POST", "/api/incidents/incidents/", body)
            except (http.client.HTTPException, OSError) as error:
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


def next_cursor(kind: str, payload: bytes) -> str | None:
    if kind == "api":
        nxt = json.loads(payload).get("next")
        return parse_qs(urlsplit(nxt).query).get("cursor", [None])[0] if nxt else None
    link = payload.find(b'rel="next"')
    at = payload.find(b"after=", link) if link >= 0 else -1
    if at < 0:
        return None
    start = stop = at + len(b"after=")
    while stop < len(payload) and payload[stop : stop + 1] not in b"&\"' <>":
        stop += 1
    return payload[start:stop].decode() or None


def queue_latency(client: Client, kind: str, path: str, *, pages: int, repeats: int):
    """First page ``repeats`` times; then walk ``pages`` pages and time the deepest again."""
    separator = "&" if "?" in path else "?"
    param = "cursor" if kind == "api" else "after"
    first = []
    for _ in range(repeats):
        status, payload, ms = client.call("GET", path)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}: {payload[:300]!r}")
        first.append(ms)
    cursor, depth, walk = next_cursor(kind, payload), 1, []
    deepest = None
    while cursor and depth < pages:
        status, payload, ms = client.call("GET", f"{path}{separator}{param}={cursor}")
        if status != 200:
            raise SystemExit(f"GET {path} (page {depth + 1}) answered {status}")
        walk.append(ms)
        depth += 1
        deepest = cursor
        cursor = next_cursor(kind, payload)
    deep = []
    if deepest:
        for _ in range(repeats):
            deep.append(client.call("GET", f"{path}{separator}{param}={deepest}")[2])
    return first, walk, deep, depth


def query_latency(agent, queue: str, *, pages: int, repeats: int):
    """The workspace queue's database work alone (selector and keyset page), in process."""
    from opsdesk.incidents import selectors
    from opsdesk.incidents.keyset import keyset_page

    def page(cursor):
        queryset, parts = selectors.incident_queue_paged(viewer=agent, queue=queue)
        began = time.perf_counter()
        result = keyset_page(queryset, sort=None, cursor=cursor, size=50, partitions=parts)
        return result.next_cursor, (time.perf_counter() - began) * 1000

    first = [page(None)[1] for _ in range(repeats)]
    cursor, depth, deepest = page(None)[0], 1, None
    while cursor and depth < pages:
        deepest, depth = cursor, depth + 1
        cursor = page(cursor)[0]
    deep = [page(deepest)[1] for _ in range(repeats)] if deepest else []
    return first, deep, depth


def agent_session(port):
    """An agent in the Service Desk, signed in: session cookie and a bearer token."""
    from django.conf import settings
    from django.test import Client as DjangoClient

    from opsdesk.core.models import Team, User
    from opsdesk.core.services import token_create

    agent = User.objects.get(username="agent")
    team = Team.objects.get(name="Service Desk")
    browser = DjangoClient()
    browser.force_login(agent)
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    _, secret = token_create(actor=None, user=agent, name="bench")
    return agent, team, {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}, secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="incidents to seed")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--create-requests", type=int, default=1000)
    parser.add_argument("--create-seconds", type=float, default=30)
    parser.add_argument("--pages", type=int, default=200, help="pages to walk for a deep page")
    parser.add_argument("--repeats", type=int, default=50, help="timings per page")
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--sla", action="store_true", help="load the demo SLA policies first")
    parser.add_argument("--skip-http", action="store_true", help="only the in-process queries")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--data-dir", help="SQLite: the data directory to use or reuse")
    args = parser.parse_args()

    backend, cleanup = prepare_database(keep=args.keep, data_dir=args.data_dir)
    import seed

    seed.setup()
    server = None
    try:
        from django.core.management import call_command

        from opsdesk.core import demo as core_demo
        from opsdesk.incidents import demo as incidents_demo
        from opsdesk.incidents.models import OPEN_STATES, Incident

        say(f"Backend: {backend}. Creating the schema and the demo people…")
        call_command("migrate", verbosity=0)
        core_demo.load(progress=lambda text: None)
        incidents_demo._categories(lambda text: None)
        if args.sla:
            from opsdesk.sla import demo as sla_demo

            sla_demo.load(progress=lambda text: None)
        port = free_port()
        server = start_server(port, args.workers)
        agent, team, cookie, secret = agent_session(port)
        bearer = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
        print(
            f"backend                {backend}, gunicorn {args.workers} workers x 4 threads"
            + (", demo SLA policies" if args.sla else "")
        )

        if not args.skip_create:
            for concurrency in (1, 8):
                say(f"Creating incidents at concurrency {concurrency}…")
                rate, samples, failed = create_load(
                    port,
                    bearer,
                    concurrency=concurrency,
                    requests=args.create_requests,
                    seconds=args.create_seconds,
                )
                print(
                    f"create c={concurrency:<2}          {rate:6.1f}/s, {summary(samples)} "
                    f"({len(samples)} created, {failed} failed)"
                )

        have = Incident.objects.count()
        if have < args.count:
            seed.seed(args.count - have, seed_value=20240601)
        total = Incident.objects.count()
        open_count = Incident.objects.filter(state__in=OPEN_STATES).count()
        print(f"incidents              {total:,} ({open_count:,} open)")

        for queue, label in (("open", "all open"), ("unassigned", "my teams' unassigned")):
            first, deep, depth = query_latency(agent, queue, pages=args.pages, repeats=args.repeats)
            print(f"query {label:<20} first page {summary(first)}")
            if deep:
                print(f"query {label:<20} page {depth:<5} {summary(deep)}")
        if args.skip_http:
            return
        api = Client(port, bearer)
        browser = Client(port, cookie)
        base = "/api/incidents/incidents/?open=true"
        cases = [
            ("api", "all open", api, base),
            (
                "api",
                "my teams' unassigned",
                api,
                f"{base}&unassigned=true&assignment_group={team.pk}",
            ),
            ("page", "all open", browser, "/incidents/queue/open/"),
            ("page", "my teams' unassigned", browser, "/incidents/queue/unassigned/"),
        ]
        for kind, label, client, path in cases:
            first, walk, deep, depth = queue_latency(
                client, kind, path, pages=args.pages, repeats=args.repeats
            )
            where = "API " if kind == "api" else "page"
            print(f"{where} {label:<21} first page {summary(first)}")
            if walk:
                print(f"{where} {label:<21} walking    {summary(walk)} ({depth} pages)")
                print(f"{where} {label:<21} page {depth:<5} {summary(deep)}")
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(timeout=15)
        cleanup()


if __name__ == "__main__":
    main()
