import time

from opsdesk.core.management.base import OpsdeskCommand
from opsdesk.core.tickets.registry import ticket_types
from opsdesk.reporting.services.bulk import facts_rebuild_bulk, facts_total


class Command(OpsdeskCommand):
    help = (
        "Recompute every report fact row from the records, their history and SLA clocks "
        "(after an upgrade or a change of calendars): reports rebuild [--record-type TYPE]."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--record-type",
            choices=[tt.key for tt in ticket_types()],
            help="Only this record type's rows (default: every record type).",
        )
        parser.add_argument(
            "--batch", type=int, default=1000, help="Records read and written together."
        )

    def handle(self, *args, record_type, batch, **options):
        keys = [record_type] if record_type else [tt.key for tt in ticket_types()]
        total = facts_total(record_type=record_type)
        started = time.monotonic()
        live = self.stdout.isatty()
        shown = [0.0]  # the share last written, when not on a terminal
        done_before = 0
        counts = {}

        def progress(done: int, _: int) -> None:
            overall = done_before + done
            line = f"{overall:,}/{total:,} fact rows ({overall / max(total, 1):.0%})"
            if live:
                self.stdout.write(f"\r{line}", ending="")
                self.stdout.flush()
            elif overall == total or overall / max(total, 1) >= shown[0] + 0.1:
                shown[0] = overall / max(total, 1)
                self.stdout.write(line)

        self.stdout.write(f"Rebuilding the fact rows of {total:,} records…")
        for key in keys:
            counts[key] = facts_rebuild_bulk(record_type=key, batch=batch, progress=progress)
            done_before += counts[key]
        if live:
            self.stdout.write("")
        written = sum(counts.values())
        by_type = ", ".join(
            f"{key.replace('_', ' ')} {count:,}" for key, count in counts.items() if count
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {written:,} fact rows in {time.monotonic() - started:.1f} s"
                + (f" ({by_type})." if by_type else ".")
            )
        )
