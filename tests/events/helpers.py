"""Send normalised events straight into the store, as ingest would, and process them."""

from datetime import datetime

from django.utils import timezone

from opsdesk.events.ingest import events_accept
from opsdesk.events.normalise import read_generic
from opsdesk.events.processing import events_process_all

_counter = iter(range(10**9))


def send(integration, *events: dict, now: datetime | None = None) -> int:
    normalised, problems = read_generic(list(events))
    assert not problems, problems
    body = f"{next(_counter)}".encode()  # every call is a distinct delivery
    return events_accept(integration=integration, events=normalised, body=body)


def send_and_process(integration, *events: dict) -> int:
    send(integration, *events)
    return events_process_all()


def later(**kwargs):
    return timezone.now() + timezone.timedelta(**kwargs)
