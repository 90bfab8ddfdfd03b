from django.core.management.base import CommandError

from opsdesk.core.audit import audit_verify
from opsdesk.core.backup import restore
from opsdesk.core.errors import DomainError
from opsdesk.core.management.base import OpsdeskCommand


class Command(OpsdeskCommand):
    help = (
        "Restore an archive written by 'opsdesk backup' into this new, migrated instance "
        "(either database), then check the audit chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The backup archive to restore.")

    def handle(self, *args, archive, **options):
        self.stderr.write(f"Restoring {archive}…")
        try:
            report = restore(archive, progress=self.stderr.write)
        except DomainError as refusal:
            raise CommandError(refusal.message) from refusal
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
        chain = audit_verify(progress=lambda n: self.stderr.write(f"  {n:,} audit entries…"))
        if not chain.ok or (chain.checked and chain.end_unchecked):
            raise CommandError(
                "Restored, but the audit trail does not check out: "
                f"{chain.reason or chain.checkpoint_problem or chain.end_unchecked}"
            )
        rows = sum(report.rows.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {rows:,} rows and {report.files:,} files; "
                f"audit chain intact ({chain.checked:,} entries)."
            )
        )
