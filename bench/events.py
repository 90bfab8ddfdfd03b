"""Event ingestion benchmark: end-to-end events per second and ingest latency, two workloads.

    .venv/bin/python bench/events.py                    # SQLite in a temporary data dir
    OPSDESK_DATABASE_URL=postgres://USER@HOST:5432/postgres .venv/bin/python bench/events.py

It starts its own web server (``opsdesk web``, gunicorn) and worker(s) (``opsdesk worker``) on
127.0.0.1, creates an Alertmanager integration, then posts Alertmanager webhook (v4) bodies of
100 alerts each from several keep-alive connections, for two workloads:

* ``new``: every alert is new (a new fingerprint each time);
* ``repeat``: a fixed set of 10,000 alerts re-sent over and over, as Alertmanager does every
  repeat interval (each send is a new delivery, with its own ``Idempotency-Key``).

Throughput is end to end: events accepted, divided by the time from the first request until no
event is pending any more (every accepted event processed into an alert). Latency is per
request (100 alerts). Each workload stops after ``--seconds`` of sending or ``--events`` events.

``--reference alertmanager`` sends the same workloads, from the same client, to Prometheus
Alertmanager's ``/api/v2/alerts`` (Debian's prometheus-alertmanager; alerts kept in memory only),
for a reference figure measured on the same machine.

On PostgreSQL it creates (and finally drops) a database named opsdesk_bench_events (or
``$OPSDESK_BENCH_DB``) on the server OPSDESK_DATABASE_URL points at; nothing else is touched.
Progress goes to stderr, figures to stdout.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# A run on a shared server can name its own database: OPSDESK_BENCH_DB=...
BENCH_DB = os.environ.get("OPSDESK_BENCH_DB", "opsdesk_bench_events")
PER_REQUEST = 100
REPEAT_SET = 10_000
ROOT = Path(__file__).resolve().parent.parent
OPSDESK = str(Path(sys.executable).with_name("opsdesk"))


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare_database() -> tuple[str, object]:
    """Point opsdesk at a throwaway database; returns (backend, cleanup)."""
    data_dir = tempfile.mkdtemp(prefix="opsdesk-bench-events-")
    os.environ["OPSDESK_DATA_DIR"] = data_dir
    url = os.environ.get("OPSDESK_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["OPSDESK_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))

        def cleanup():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            shutil.rmtree(data_dir, ignore_errors=True)

        return "postgresql", cleanup
    if url and not url.startswith("sqlite"):
        raise SystemExit(f"Unsupported OPSDESK_DATABASE_URL scheme: {url.split(':', 1)[0]}")
    os.environ.pop("OPSDESK_DATABASE_URL", None)
    return "sqlite", lambda: shutil.rmtree(data_dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servers:
    """The opsdesk web server and worker(s), as child processes in their own groups."""

    def __init__(self, *, port: int, web_workers: int, worker_procs: int, worker_threads: int):
        self.port = port
        self.procs: list[subprocess.Popen] = []
        self.log = open(Path(os.environ["OPSDESK_DATA_DIR"]) / "servers.log", "ab")  # noqa: SIM115
        self._start(["web", "--bind", f"127.0.0.1:{port}", "--workers", str(web_workers)])
        for _ in range(worker_procs):
            self._start(["worker", "--workers", str(worker_threads)])

    def _start(self, args: list[str]) -> None:
        self.procs.append(
            subprocess.Popen(
                [OPSDESK, *args],
                stdout=self.log,
                stderr=self.log,
                start_new_session=True,
                cwd=ROOT,
            )
        )

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise SystemExit(f"a server process exited early; see {self.log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/schema/")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("the web server did not start in time")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.log.close()


def alert(fingerprint: str, n: int) -> dict:
    host = f"node-{n % 500:03d}:9100"
    return {
        "status": "firing",
        "labels": {
            "alertname": ("DiskFull", "HighLoad", "TargetDown", "PodCrashLooping")[n % 4],
            "instance": host,
            "severity": ("critical", "warning", "major", "info")[n % 4],
            "job": "node",
            "env": "prod",
        },
        "annotations": {"summary": f"Something is wrong on {host}", "description": "bench"},
        "startsAt": "2026-11-26T06:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }


def webhook(alerts: list[dict]) -> bytes:
    return json.dumps(
        {
            "version": "4",
            "groupKey": '{}:{alertname="bench"}',
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "opsdesk",
            "groupLabels": {},
            "commonLabels": {"job": "node"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example:9093",
            "alerts": alerts,
        }
    ).encode()


def am_api(alerts: list[dict]) -> bytes:
    """The same alerts as Prometheus posts them to Alertmanager's API (``/api/v2/alerts``)."""
    keys = ("labels", "annotations", "startsAt", "generatorURL")
    return json.dumps([{k: a[k] for k in keys} for a in alerts]).encode()


class Workload:
    """Hands out request bodies to the sending threads until the budget is spent."""

    def __init__(self, kind: str, *, max_events: int, seconds: float, run_id: str, body=None):
        self.kind, self.run_id = kind, run_id
        self.body = body or webhook
        self.max_requests = max_events // PER_REQUEST
        self.seconds = seconds
        self.lock = threading.Lock()
        self.issued = 0
        self.deadline = 0.0
        if kind == "repeat":
            self.bodies = [
                self.body(
                    [
                        alert(f"{run_id}-r{i}", i)
                        for i in range(b * PER_REQUEST, (b + 1) * PER_REQUEST)
                    ]
                )
                for b in range(REPEAT_SET // PER_REQUEST)
            ]

    def next(self) -> tuple[int, bytes] | None:
        with self.lock:
            if self.issued >= self.max_requests or time.monotonic() >= self.deadline:
                return None
            n = self.issued
            self.issued += 1
        if self.kind == "repeat":
            return n, self.bodies[n % len(self.bodies)]
        base = n * PER_REQUEST
        return n, self.body(
            [alert(f"{self.run_id}-n{base + i}", base + i) for i in range(PER_REQUEST)]
        )


def sender(port: int, path: str, work: Workload, results: dict) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies, accepted, refused = [], 0, {}
    while (item := work.next()) is not None:
        n, body = item
        headers = {
            "Content-Type": "application/json",
            # Each send is a new delivery, as each of Alertmanager's repeats is.
            "Idempotency-Key": f"{work.run_id}-{work.kind}-{n}",
        }
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            refused[type(exc).__name__] = refused.get(type(exc).__name__, 0) + 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        latencies.append(time.perf_counter() - started)
        if response.status in (200, 202):  # Alertmanager's API answers 200
            accepted += PER_REQUEST
        else:
            refused[response.status] = refused.get(response.status, 0) + 1
    conn.close()
    ended = time.monotonic()
    with work.lock:
        results["ended"] = max(results.get("ended", 0.0), ended)
        results["latencies"].extend(latencies)
        results["accepted"] += accepted
        for key, count in refused.items():
            results["refused"][key] = results["refused"].get(key, 0) + count


def pending_count() -> int:
    from opsdesk.events.models import Event, EventState

    return Event.objects.filter(state=EventState.PENDING).count()


def processed_count(since_id: int) -> int:
    from opsdesk.events.models import Event

    return Event.objects.filter(id__gt=since_id).exclude(state="pending").count()


def last_event_id() -> int:
    from opsdesk.events.models import Event

    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def run_workload(kind: str, *, port: int, path: str, args, run_id: str) -> dict:
    from django.db import connection

    work = Workload(kind, max_events=args.events, seconds=args.seconds, run_id=run_id)
    results = {"latencies": [], "accepted": 0, "refused": {}}
    since = last_event_id()
    threads = [
        threading.Thread(target=sender, args=(port, path, work, results), daemon=True)
        for _ in range(args.connections)
    ]
    started = time.monotonic()
    work.deadline = started + args.seconds
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(timeout=2)
            if t.is_alive():
                say(
                    f"  {kind}: {work.issued * PER_REQUEST:,} sent, {pending_count():,} pending "
                    f"after {time.monotonic() - started:.0f} s"
                )
    # When the last response arrived, not when this loop noticed.
    sent_done = results.get("ended", time.monotonic())
    # The backlog drains; stop waiting if it makes no progress for a long time.
    last, stalled_since = None, time.monotonic()
    next_say = 0.0
    while (left := pending_count()) > 0:
        if left != last:
            last, stalled_since = left, time.monotonic()
        elif time.monotonic() - stalled_since > args.stall:
            say(f"  {kind}: {left:,} events still pending and no progress; giving up")
            break
        if time.monotonic() >= next_say:
            say(f"  {kind}: draining, {left:,} pending after {time.monotonic() - started:.0f} s")
            next_say = time.monotonic() + 1
        # Polled often: the drain is part of the figure, and a second's nap is 10 % of it.
        time.sleep(0.05)
    finished = time.monotonic()
    connection.close()
    stored = processed_count(since)
    lat = sorted(results["latencies"])
    return {
        "workload": kind,
        "accepted": results["accepted"],
        "processed": stored,
        "refused": results["refused"],
        "send_s": sent_done - started,
        "total_s": finished - started,
        "ingest_eps": results["accepted"] / (sent_done - started),
        "e2e_eps": stored / (finished - started),
        "p50_ms": statistics.median(lat) * 1000 if lat else float("nan"),
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan"),
        "left_pending": pending_count(),
    }


def run_reference(args) -> None:
    """The same client and workloads against Prometheus Alertmanager, which keeps alerts in
    memory only: a reference figure from this machine rather than from a release note."""
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not binary:
        raise SystemExit("Alertmanager is not installed (apt install prometheus-alertmanager)")
    work_dir = Path(tempfile.mkdtemp(prefix="opsdesk-bench-am-"))
    config = work_dir / "alertmanager.yml"
    # A receiver that sends nothing: only taking alerts in is measured.
    config.write_text('route: {receiver: "null", group_wait: 1h}\nreceivers: [{name: "null"}]\n')
    port = free_port()
    log = (work_dir / "alertmanager.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={work_dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/-/ready")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        version = subprocess.run([binary, "--version"], capture_output=True, text=True)
        say((version.stdout or version.stderr).splitlines()[0])
        print(
            f"alertmanager (memory only): {args.connections} connections, "
            f"{PER_REQUEST} alerts a request"
        )
        run_id = f"{int(time.time())}"
        for kind in args.workloads.split(","):
            work = Workload(
                kind, max_events=args.events, seconds=args.seconds, run_id=run_id, body=am_api
            )
            results = {"latencies": [], "accepted": 0, "refused": {}}
            threads = [
                threading.Thread(
                    target=sender, args=(port, "/api/v2/alerts", work, results), daemon=True
                )
                for _ in range(args.connections)
            ]
            started = time.monotonic()
            work.deadline = started + args.seconds
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = results.get("ended", time.monotonic()) - started
            lat = sorted(results["latencies"])
            print(
                f"  {kind:>6}: {results['accepted']:,} alerts taken in {elapsed:.1f} s -> "
                f"{results['accepted'] / elapsed:,.0f}/s; latency per request p50 "
                f"{statistics.median(lat) * 1000:.0f} ms, "
                f"p99 {lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000:.0f} ms"
                + (f"; refused {results['refused']}" if results["refused"] else "")
            )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
        log.close()
        shutil.rmtree(work_dir, ignore_errors=True)


def create_integration() -> str:
    from opsdesk.events.models import Format, Integration, new_secret

    integration = Integration.objects.create(
        name="Bench Alertmanager",
        format=Format.ALERTMANAGER,
        secret_hash=new_secret(),  # never used: the integration's URL authenticates
        rate_limit_per_minute=2_000_000_000,
    )
    return f"/api/events/integrations/{integration.token}/alertmanager"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="sending time per workload")
    parser.add_argument("--events", type=int, default=600_000, help="events per workload at most")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-procs", type=int, default=1, help="opsdesk worker processes")
    parser.add_argument("--worker-threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--workloads", default="new,repeat")
    parser.add_argument("--stall", type=float, default=60, help="give up draining after this")
    parser.add_argument("--hold", action="store_true", help="wait for Enter before stopping")
    parser.add_argument(
        "--reference",
        choices=["alertmanager"],
        help="send the same workloads to Prometheus Alertmanager instead (memory only)",
    )
    args = parser.parse_args()
    if args.reference:
        run_reference(args)
        return

    os.environ["OPSDESK_HTTPS"] = "false"
    os.environ.setdefault("OPSDESK_SECRET_KEY", "bench-only-" + "x" * 40)
    backend, cleanup = prepare_database()
    servers = None
    try:
        say(f"Migrating a fresh {backend} database ...")
        subprocess.run([OPSDESK, "migrate", "-v", "0"], check=True, cwd=ROOT)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
        import django

        django.setup()
        path = create_integration()
        port = free_port()
        servers = Servers(
            port=port,
            web_workers=args.web_workers,
            worker_procs=args.worker_procs,
            worker_threads=args.worker_threads,
        )
        servers.wait_ready()
        say(f"web on 127.0.0.1:{port}, pids {servers.pids}")
        run_id = f"{int(time.time())}"
        rows = []
        for kind in args.workloads.split(","):
            say(f"Workload {kind}: {args.connections} connections, {PER_REQUEST} alerts a request")
            rows.append(run_workload(kind, port=port, path=path, args=args, run_id=run_id))
        if args.hold:
            input("Servers still running; Enter stops them. ")
        print(
            f"{backend}: web workers {args.web_workers}, worker processes {args.worker_procs} "
            f"x {args.worker_threads} threads, {args.connections} connections, "
            f"{PER_REQUEST} alerts a request"
        )
        for r in rows:
            print(
                f"  {r['workload']:>6}: {r['processed']:>8,} events processed of "
                f"{r['accepted']:,} accepted in {r['total_s']:.1f} s -> "
                f"{r['e2e_eps']:,.0f} events/s end to end "
                f"(ingest alone {r['ingest_eps']:,.0f}/s over {r['send_s']:.1f} s); "
                f"latency per request p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms"
                + (f"; refused {r['refused']}" if r["refused"] else "")
                + (f"; {r['left_pending']:,} left pending" if r["left_pending"] else "")
            )
    finally:
        if servers is not None:
            servers.stop()
        cleanup()


if __name__ == "__main__":
    main()
