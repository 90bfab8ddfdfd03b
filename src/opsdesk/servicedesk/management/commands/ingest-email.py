"""opsdesk ingest-email [--mailbox NAME] < message.eml — for an MTA pipe."""

import sys

from django.core.management.base import CommandError

from opsdesk.core.management.base import OpsdeskCommand
from opsdesk.servicedesk.inbound.services import mail_ingest
from opsdesk.servicedesk.models import Mailbox


class Command(OpsdeskCommand):
    stealth_options = ("stdin",)  # tests pass the message as a byte stream
    help = "Read one RFC 822 message on standard input and turn it into a ticket change."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", help="Name of the mailbox the message arrived in.")

    def handle(self, *args, mailbox=None, stdin=None, **options):
        box = None
        if mailbox:
            box = Mailbox.objects.filter(name=mailbox, active=True).first()
            if box is None:
                raise CommandError(f"There is no active mailbox called {mailbox!r}.")
        stream = stdin or sys.stdin.buffer
        raw = stream.read()
        if not raw:
            raise CommandError("No message on standard input.")
        result = mail_ingest(raw=raw, mailbox=box)
        detail = f" {result.incident.number}" if result.incident else ""
        reason = f" ({result.reason})" if result.reason else ""
        # An MTA only needs success: unprocessed mail is kept and listed, not bounced.
        self.stdout.write(f"{result.outcome}{detail}{reason}")
