from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run only the background worker (outbox delivery, timers, mail polling)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, workers, **options):
        self.stdout.write("opsdesk worker started")
        call_command("run_huey", workers=workers, worker_type="thread")
