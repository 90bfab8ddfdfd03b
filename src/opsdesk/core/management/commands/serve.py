import signal
import subprocess
import sys
import time

from django.core.management import call_command

from opsdesk.core.management.base import OpsdeskCommand

RESTART_LIMIT = 5  # restarts of one process within RESTART_WINDOW before serve gives up
RESTART_WINDOW = 60.0


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
        web_cmd = [sys.executable, "-m", "opsdesk.cli", "web"] + (["--bind", bind] if bind else [])
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
        while not stopping:
            time.sleep(0.5)
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
