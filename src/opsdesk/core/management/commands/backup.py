from pathlib import Path

from django.utils import timezone

from opsdesk.core.backup import backup
from opsdesk.core.management.base import OpsdeskCommand


class Command(OpsdeskCommand):
    help = "Write the whole instance (database rows and attachment files) to one archive."

    def add_arguments(self, parser):
        parser.add_argument(
            "archive",
            nargs="?",
            help="Where to write it (default: opsdesk-backup-YYYYMMDD-HHMMSS.zip here).",
        )

    def handle(self, *args, archive=None, **options):
        path = Path(archive or f"opsdesk-backup-{timezone.localtime():%Y%m%d-%H%M%S}.zip")
        self.stderr.write(f"Backing up to {path}…")
        report = backup(path, progress=self.stderr.write)
        for name in report.missing_files:
            self.stderr.write(self.style.WARNING(f"  file missing from storage: {name}"))
        rows = sum(report.rows.values())
        self.stdout.write(
            self.style.SUCCESS(f"Backup written to {path}: {rows:,} rows, {report.files:,} files.")
        )
