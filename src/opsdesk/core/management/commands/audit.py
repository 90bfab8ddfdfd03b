from django.core.management.base import CommandError

from opsdesk.core.audit import (
    AuditKeyError,
    CheckpointError,
    audit_verify,
    checkpoint_path,
    checkpoint_write,
)
from opsdesk.core.management.base import OpsdeskCommand

# Exit status: 0 intact, 1 tampering found, 2 the trail could not be checked (no key, another
# key, no checkpoint): a monitoring job can tell an alarm from a configuration problem.
TAMPERED = 1
CANNOT_CHECK = 2


class Command(OpsdeskCommand):
    help = (
        "Audit trail tools: audit verify checks the whole hash chain and its signed "
        "checkpoint; audit checkpoint records the trail's current end."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verify",
            help=(
                "Check every entry's seal and its link to the previous one, and that the trail "
                "reaches the checkpoint. Exit 1: tampered with; exit 2: cannot be checked."
            ),
        )
        checkpoint = sub.add_parser(
            "checkpoint",
            help="Check the trail, then sign its current end into the checkpoint file.",
        )
        checkpoint.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Accept the database's end even where it falls short of the checkpoint "
                "(after restoring a backup on purpose)."
            ),
        )

    def handle(self, *args, action, reset=False, **options):
        try:
            report = audit_verify(progress=lambda n: self.stderr.write(f"  {n} entries checked…"))
        except AuditKeyError as error:
            raise CommandError(
                f"Audit trail not checked: {error}", returncode=CANNOT_CHECK
            ) from None
        if report.first_broken_id is not None:
            raise CommandError(
                f"Audit chain BROKEN at entry {report.first_broken_id}: {report.reason}. "
                f"{report.checked} entries before it are intact.",
                returncode=TAMPERED,
            )
        if action == "checkpoint":
            if report.checkpoint_problem and not reset:
                raise CommandError(
                    f"Audit trail TAMPERED: {report.checkpoint_problem} Checkpoint not moved "
                    "(`audit checkpoint --reset` accepts the database's end after a "
                    "deliberate restore).",
                    returncode=TAMPERED,
                )
            self._checkpoint(reset=reset)
            return
        if report.checkpoint_problem:
            raise CommandError(
                f"Audit trail TAMPERED: {report.checkpoint_problem}", returncode=TAMPERED
            )
        if report.end_unchecked:
            raise CommandError(
                f"Audit chain intact ({report.checked} entries), but its end was not checked: "
                f"{report.end_unchecked}",
                returncode=CANNOT_CHECK,
            )
        self.stdout.write(self.style.SUCCESS(self._intact(report)))

    def _checkpoint(self, *, reset):
        try:
            checkpoint = checkpoint_write(reset=reset)
        except (AuditKeyError, CheckpointError, OSError) as error:
            raise CommandError(
                f"Checkpoint not written: {error}", returncode=CANNOT_CHECK
            ) from None
        if checkpoint is None:
            self.stdout.write("The audit trail is empty: there is no end to record yet.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint written to {checkpoint_path()}: {checkpoint.count} entries, "
                f"ending at entry {checkpoint.last_id}."
            )
        )

    def _intact(self, report) -> str:
        if report.checkpoint is None:
            return "Audit trail intact: no entries yet."
        text = (
            f"Audit chain intact: {report.checked} entries, reaching the checkpoint of "
            f"{report.checkpoint.written_at} (entry {report.checkpoint.last_id})."
        )
        if report.unkeyed == report.checked:
            text += " They predate keyed sealing: the next change seals the first entry."
        elif report.unkeyed:
            text += (
                f" The first {report.unkeyed} predate keyed sealing: chained by a plain "
                "hash, they are held in place by the sealed entries after them."
            )
        return text
