import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run only the web server (gunicorn), for deployments with separate workers."

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", default=os.environ.get("OPSDESK_BIND", f"127.0.0.1:{settings.PORT}")
        )
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("OPSDESK_WEB_WORKERS", "3"))
        )

    def handle(self, *args, bind, workers, **options):
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "opsdesk.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            "--forwarded-allow-ips",
            os.environ.get("OPSDESK_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
        self.stdout.write(f"opsdesk web listening on http://{bind}")
        self.stdout.flush()
        # Replace this process: signals go straight to gunicorn's arbiter.
        os.execv(sys.executable, argv)
