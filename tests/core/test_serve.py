"""`opsdesk serve` runs web and worker together and stops both cleanly on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


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
    try:

        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        assert wait_for(healthy, 90), "web server did not come up"
        kids = children_of(proc.pid)
        assert len(kids) == 2, kids  # web and worker
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as page:
            assert b"Sign in" in page.read()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=40)
        assert proc.returncode == 0, out
        assert "Stopped." in out
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
