"""Key pages: first-visit weight (compressed, as a browser fetches them) and server time.

    .venv/bin/python bench/pages.py                 # SQLite demo in a temporary data dir
    .venv/bin/python bench/pages.py --repeats 100   # more timings per page

It loads the demo (``opsdesk migrate``, ``opsdesk demo``) into a temporary data directory,
collects the static files, starts ``opsdesk web`` on 127.0.0.1 and signs in as the demo
agent and requester. For each key page it prints:

- the bytes a first visit transfers (page, stylesheets, scripts, images; bodies as sent,
  compressed, plus headers), measured by Chromium (Playwright, /usr/bin/chromium);
- the server time, p50 and p95 over ``--repeats`` requests of the page alone on one
  keep-alive connection with ``Accept-Encoding: gzip`` (the time to the last byte).

The goal in docs/benchmarks.md: a queue page under 40 kB compressed.
"""

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from incidents import free_port, say, start_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "opsdesk-demo"  # the demo's sign-in password (core/demo.py)


def opsdesk(*args: str) -> None:
    done = subprocess.run([str(ROOT / ".venv/bin/opsdesk"), *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"opsdesk {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def key_pages(port: int) -> list[tuple[str, str, str]]:
    """(who, label, path) of the pages people spend their day on, found in the demo data."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    import django

    django.setup()
    from opsdesk.incidents.models import Incident

    major = Incident.objects.filter(is_major=True).order_by("-opened_at").first()
    return [
        ("requester", "Portal home", "/portal/"),
        ("agent", "Incident queue", "/incidents/"),
        ("agent", "Incident record", f"/incidents/{major.pk}/"),
        ("agent", "My work", "/portal/desk/my-work/"),
        ("agent", "Operations console", "/events/"),
        ("agent", "Tasks", "/tasks/"),
    ]


def first_visit_weights(port: int, pages) -> dict[str, int]:
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    weights = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for who in ("agent", "requester"):
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.fill("#id_username", who)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            signed_in = context.storage_state()
            context.close()
            for owner, label, path in pages:
                if owner != who:
                    continue
                # A fresh context: an empty cache, as on a first visit.
                fresh = browser.new_context(
                    viewport={"width": 1366, "height": 900}, storage_state=signed_in
                )
                visit = fresh.new_page()
                finished = []
                visit.on("requestfinished", lambda request, seen=finished: seen.append(request))
                visit.goto(base + path)
                visit.wait_for_load_state("networkidle")
                total = 0
                for request in finished:
                    sizes = request.sizes()
                    total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
                weights[label] = total
                fresh.close()
        browser.close()
    return weights


def session_cookie(username: str) -> str:
    from django.conf import settings
    from django.test import Client

    from opsdesk.core.models import User

    browser = Client()
    browser.force_login(User.objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"


def server_times(port: int, pages, repeats: int) -> dict[str, tuple[float, float, int]]:
    cookies = {who: session_cookie(who) for who in ("agent", "requester")}
    times = {}
    for who, label, path in pages:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": cookies[who], "Accept-Encoding": "gzip"}
        samples, size = [], 0
        for _ in range(repeats + 3):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            samples.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise SystemExit(f"{label}: {path} answered {response.status}")
            size = len(body)
        conn.close()
        samples = samples[3:]  # the first requests warm the worker's caches
        p95 = statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)
        times[label] = (statistics.median(samples), p95, size)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=50, help="timings per page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="opsdesk-bench-pages-")
    # The audit key and checkpoint live beside the data directory, never inside it.
    data_dir = os.path.join(work, "data")
    os.environ.update(
        OPSDESK_DATA_DIR=data_dir,
        OPSDESK_CONFIG_DIR=os.path.join(work, "config"),
        OPSDESK_HTTPS="false",
    )
    os.environ.pop("OPSDESK_DATABASE_URL", None)  # the demo on SQLite, like `make run`
    server = None
    try:
        say("loading the demo (migrate, demo, collectstatic) ...")
        opsdesk("migrate")
        opsdesk("demo")
        opsdesk("collectstatic", "--noinput")
        port = free_port()
        pages = key_pages(port)
        server = start_server(port, args.workers)
        say("measuring first-visit weight in Chromium ...")
        weights = first_visit_weights(port, pages)
        say(f"timing each page {args.repeats} times ...")
        times = server_times(port, pages, args.repeats)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'page':22} {'first visit':>12} {'page alone':>11} {'p50 ms':>8} {'p95 ms':>8}")
    for _, label, _ in pages:
        p50, p95, size = times[label]
        print(
            f"{label:22} {weights[label] / 1024:>9.1f} kB {size / 1024:>8.1f} kB "
            f"{p50:>8.1f} {p95:>8.1f}"
        )
    print(f"(SQLite, demo data, {args.workers} web workers, load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
