"""`opsdesk serve` runs web and worker together, says once when it is ready, and stops both
cleanly on SIGTERM."""

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from opsdesk.core.demo import DEMO_PASSWORD
from opsdesk.core.management.commands.serve import answers, ready_line
from opsdesk.core.testing.factories import UserFactory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except FileNotFoundError:
        return []


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)  # polling a real server, not waiting for time to pass
    return False


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs /proc (Linux)")
def test_serve_starts_web_and_worker_and_stops_both(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_DATABASE")},
        "OPSDESK_DATA_DIR": str(tmp_path),
        "OPSDESK_HTTPS": "false",
        "OPSDESK_WEB_WORKERS": "1",
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "opsdesk.cli", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")))
    reader.start()
    ready = f"opsdesk is ready: open http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: any(ready in line for line in lines), 240), "".join(lines)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
            assert health.status == 200
        kids = children_of(proc.pid)
        assert len(kids) == 2, kids  # web and worker
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as page:
            assert b"Sign in" in page.read()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)
        reader.join(timeout=10)
        out = "".join(lines)
        assert proc.returncode == 0, out
        assert "Stopped." in out
        # Said once, after the web server said it listens.
        assert out.count("opsdesk is ready") == 1
        assert out.index("Listening at") < out.index(ready)
        assert all(not os.path.exists(f"/proc/{pid}") or _is_zombie(pid) for pid in kids)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.django_db
def test_the_ready_line_names_the_address_and_the_demo_sign_ins():
    UserFactory(username="agent", password=DEMO_PASSWORD)
    UserFactory(username="requester", password=DEMO_PASSWORD)
    UserFactory(username="admin", password="something random")
    assert ready_line(bind="127.0.0.1:8123") == (
        "opsdesk is ready: open http://127.0.0.1:8123 and sign in as "
        "agent / opsdesk-demo (agent), requester (requester), "
        "admin (admin, with the password createadmin printed)"
    )


@pytest.mark.django_db
def test_the_ready_line_hints_at_no_password_that_was_changed():
    UserFactory(username="agent", password="changed since")
    UserFactory(username="requester", password=DEMO_PASSWORD)
    assert ready_line(bind="0.0.0.0:8000") == (
        "opsdesk is ready: open http://127.0.0.1:8000 and sign in as "
        "requester / opsdesk-demo (requester)"
    )


@pytest.mark.django_db
def test_without_demo_accounts_the_ready_line_only_says_where():
    assert ready_line(bind="127.0.0.1:8000") == "opsdesk is ready: open http://127.0.0.1:8000"


def test_a_server_that_answers_its_health_check_is_ready_and_a_closed_port_is_not():
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    with http.server.HTTPServer(("127.0.0.1", 0), Health) as server:
        thread = threading.Thread(target=server.handle_request)
        thread.start()
        assert answers("127.0.0.1", server.server_address[1])
        thread.join(timeout=10)
    assert not answers("127.0.0.1", free_port())
