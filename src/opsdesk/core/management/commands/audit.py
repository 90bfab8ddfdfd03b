from django.core.management.base import CommandError

from opsdesk.core.audit import audit_verify
from opsdesk.core.management.base import OpsdeskCommand


class Command(OpsdeskCommand):
    help = "Audit trail tools: audit verify checks the whole hash chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every entry's hash and its link to the previous one.")

    def handle(self, *args, action, **options):
        report = audit_verify(progress=lambda n: self.stderr.write(f"  {n} entries checked…"))
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at entry {report.first_broken_id}: {report.reason}. "
                f"{report.checked} entries before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} entries."))
