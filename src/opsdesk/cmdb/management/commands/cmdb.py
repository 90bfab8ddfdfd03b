import sys
from pathlib import Path

from django.core.management.base import CommandError

from opsdesk.cmdb import transfer
from opsdesk.core.management.base import OpsdeskCommand


class Command(OpsdeskCommand):
    help = (
        "CMDB tools: 'cmdb import FILE [--dry-run] [--format csv|json]' upserts CIs and "
        "relationships; 'cmdb export [--format json|csv] [--kind cis|relationships]' writes them."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="Upsert CIs and relationships from a file.")
        load.add_argument("file", help="A CSV or JSON file; '-' reads standard input.")
        load.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")
        load.add_argument("--format", choices=transfer.FORMATS, help="Default: from the file.")
        dump = sub.add_parser("export", help="Write CIs and relationships to standard output.")
        dump.add_argument("--format", choices=transfer.FORMATS, default="json")
        dump.add_argument(
            "--kind",
            choices=["cis", "relationships"],
            default="cis",
            help="What a CSV export holds (JSON holds both).",
        )
        dump.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, action, **options):
        if action == "import":
            self.do_import(options["file"], options["format"], options["dry_run"])
        else:
            self.do_export(options["format"], options["kind"], options.get("output"))

    def do_import(self, file: str, fmt: str | None, dry_run: bool) -> None:
        if file == "-":
            text, name = sys.stdin.read(), ""
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            try:
                text, name = path.read_text(encoding="utf-8-sig"), path.name
            except UnicodeDecodeError:
                raise CommandError(f"{file} is not UTF-8 text.") from None
        fmt = fmt or transfer.detect_format(text, name)
        self.stderr.write(f"Reading {file} as {fmt}{' (dry run)' if dry_run else ''}…")
        report = transfer.cmdb_import(
            actor=None,
            text=text,
            fmt=fmt,
            dry_run=dry_run,
            progress=lambda done, total: self.stderr.write(f"  {done}/{total} rows checked…"),
        )
        for error in report.errors:
            self.stderr.write(f"  line {error.line} ({error.record}): {error.reason}")
        if report.errors:
            raise CommandError(report.message)
        self.stdout.write(self.style.SUCCESS(report.message))

    def do_export(self, fmt: str, kind: str, output: str | None) -> None:
        self.stderr.write(f"Exporting {'CIs and relationships' if fmt == 'json' else kind}…")
        text = transfer.cmdb_export(fmt=fmt, kind=kind)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Written to {output}.")
        else:
            self.stdout.write(text, ending="")
