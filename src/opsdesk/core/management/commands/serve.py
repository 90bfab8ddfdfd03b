import http.client
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from opsdesk.core.demo import DEMO_PASSWORD
from opsdesk.core.management.base import OpsdeskCommand
from opsdesk.core.models import User

RESTART_LIMIT = 5  # restarts of one process within RESTART_WINDOW before serve gives up
RESTART_WINDOW = 60.0
READY_TIMEOUT = 60.0  # how long serve waits for the web server to answer before saying so
# (username, what they are) for the ready line, when the account is there.
SIGN_INS = [
    ("agent", "agent"),
    ("requester", "requester"),
    ("approver", "approver"),
    ("catalog", "catalog manager"),
    ("problems", "problem manager"),
    ("reviewer", "access reviewer"),
]
ADMIN_USERNAME = "admin"


def answers(host: str, port: int) -> bool:
    """Whether the web server answers a health check on ``host:port`` right now.

    An HTTP answer rather than an open socket: gunicorn listens before its workers have booted,
    so the request may wait for one (a refused connection fails at once instead).
    """
    connection = http.client.HTTPConnection(host, port, timeout=15)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


def _local(host: str) -> str:
    """Where to reach a server bound to ``host`` from this machine."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "[::]", "::") else host


def ready_line(*, bind: str) -> str:
    """The one line that says opsdesk answers, where, and who may sign in with what."""
    host, _, port = bind.rpartition(":")
    line = f"opsdesk is ready: open http://{_local(host)}:{port}"
    names = [name for name, _ in SIGN_INS] + [ADMIN_USERNAME]
    accounts = {u.username: u for u in User.objects.filter(is_active=True, username__in=names)}
    shown = []
    for username, role in SIGN_INS:
        user = accounts.get(username)
        # Only accounts that still have the demo password: never hint at anyone else's.
        if user is not None and check_password(DEMO_PASSWORD, user.password):
            password = f" / {DEMO_PASSWORD}" if not shown else ""
            shown.append(f"{username}{password} ({role})")
    if ADMIN_USERNAME in accounts:
        shown.append(f"{ADMIN_USERNAME} (admin, with the password createadmin printed)")
    return f"{line} and sign in as {', '.join(shown)}" if shown else line


class Command(OpsdeskCommand):
    help = "Migrate, then run the web server and the worker together (Ctrl-C stops both)."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Load demo data first.")
        parser.add_argument("--bind", help="Address:port for the web server.")

    def handle(self, *args, demo, bind, **options):
        call_command("migrate", interactive=False, verbosity=1)
        call_command("collectstatic", interactive=False, verbosity=0)
        if demo:
            call_command("demo")
        bind = bind or os.environ.get("OPSDESK_BIND") or f"127.0.0.1:{settings.PORT}"
        web_cmd = [sys.executable, "-m", "opsdesk.cli", "web", "--bind", bind]
        commands = {"web": web_cmd, "worker": [sys.executable, "-m", "opsdesk.cli", "worker"]}
        processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        restarts: dict[str, list[float]] = {name: [] for name in commands}
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        host, _, port = bind.rpartition(":")
        waiting_since = time.monotonic()
        while not stopping:
            time.sleep(0.5)
            if waiting_since is not None:
                if answers(_local(host), int(port)):
                    self.stdout.write(self.style.SUCCESS(ready_line(bind=bind)))
                    self.stdout.flush()
                    waiting_since = None
                elif time.monotonic() - waiting_since > READY_TIMEOUT:
                    self.stderr.write(
                        f"The web server does not answer on {bind} after "
                        f"{READY_TIMEOUT:.0f} s; see its messages above."
                    )
                    waiting_since = None
            for name, proc in processes.items():
                if proc.poll() is None:
                    continue
                now = time.monotonic()
                restarts[name] = [t for t in restarts[name] if now - t < RESTART_WINDOW]
                if len(restarts[name]) >= RESTART_LIMIT:
                    self.stderr.write(f"{name} keeps exiting (code {proc.returncode}); stopping.")
                    stopping, exit_code = True, 1
                    break
                self.stderr.write(f"{name} exited with code {proc.returncode}; restarting it.")
                restarts[name].append(now)
                processes[name] = subprocess.Popen(commands[name])
        self.stdout.write("Stopping web and worker…")
        for proc in processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in processes.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stdout.write("Stopped.")
        if exit_code:
            sys.exit(exit_code)
