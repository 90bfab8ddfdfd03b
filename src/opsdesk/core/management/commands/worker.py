from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run only the background worker (outbox delivery, timers, mail polling)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, workers, **options):
        self.stdout.write("opsdesk worker started")
        # Quiet, the worker logs warnings and errors but not every task it runs.
        quiet = {} if settings.WORKER_LOG_TASKS else {"verbose": False}
        call_command("run_huey", workers=workers, worker_type="thread", **quiet)
