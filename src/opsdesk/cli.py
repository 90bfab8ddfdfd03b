"""The ``opsdesk`` command: opsdesk's own commands plus every Django management command."""

import os
import sys

# One line each, shown by ``opsdesk --help``; the commands live in core/management/commands.
# A two-word command (``opsdesk reports rebuild``) runs the Django command ``reports_rebuild``.
COMMANDS = {
    "serve": "Migrate, then run the web server and the worker together (Ctrl-C stops both).",
    "web": "Run only the web server (gunicorn), for deployments with separate workers.",
    "worker": "Run only the background worker (outbox delivery, timers, mail polling).",
    "migrate": "Create or update the database tables.",
    "createadmin": "Create the administrator account and print its password once.",
    "token": "Manage API tokens: token create --user NAME [--read-only] [--expires DAYS].",
    "demo": "Load realistic demo data (safe to run again: it only adds what is missing).",
    "backup": "Write the whole instance (rows and files) to one archive: backup [FILE].",
    "restore": "Restore a backup into a new, migrated instance, on either database.",
    "audit": "Audit trail tools: audit verify checks the hash chain and its signed checkpoint.",
    "cmdb": "Import or export configuration items: cmdb import FILE [--dry-run], cmdb export.",
    "reports": "Reports tools: reports rebuild [--record-type TYPE] recomputes every fact row.",
    "ingest-email": "Read one message on standard input and turn it into a ticket change.",
    "check": "Check the configuration (add --deploy for production checks).",
    "help": "List every command, including Django's own (opsdesk help COMMAND for details).",
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: opsdesk COMMAND [options]",
        "",
        "opsdesk is self-hosted IT Service Management. Commands:",
        "",
        *(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()),
        "",
        "Configuration comes from OPSDESK_* environment variables (see the README).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    from django.core.management import execute_from_command_line

    argv[0] = "opsdesk"
    if len(argv) == 2 and argv[1] in GROUPS:
        print(f"usage: opsdesk {argv[1]} ACTION [options]\n\n{COMMANDS[argv[1]]}")
        return
    execute_from_command_line(two_word(argv))


# Command groups whose actions are Django commands named GROUP_ACTION.
GROUPS = ("reports",)


def two_word(argv: list[str]) -> list[str]:
    """``opsdesk reports rebuild --x`` -> ``opsdesk reports_rebuild --x``."""
    if len(argv) >= 3 and argv[1] in GROUPS and not argv[2].startswith("-"):
        return [argv[0], f"{argv[1]}_{argv[2]}", *argv[3:]]
    return argv


if __name__ == "__main__":
    main()
