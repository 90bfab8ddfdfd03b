import importlib
import time

from django.conf import settings
from django.db import transaction

from opsdesk.core.management.base import OpsdeskCommand


class Command(OpsdeskCommand):
    help = "Load realistic demo data (safe to run again: it only adds what is missing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database has teams."
        )

    def handle(self, *args, if_empty, **options):
        from opsdesk.core.models import Team

        if if_empty and Team.objects.exists():
            self.stdout.write("The database has data already; demo data not loaded.")
            return
        started = time.monotonic()
        # Each domain app may have a demo module; they run in layer order, lowest first.
        for app in settings.OPSDESK_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as error:
                if error.name != f"{app}.demo":
                    raise
                continue
            label = app.rsplit(".", 1)[-1]
            self.stdout.write(f"[{label}] loading…")
            with transaction.atomic():
                module.load(
                    progress=lambda text, label=label: self.stdout.write(f"[{label}] {text}")
                )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s.")
        )
