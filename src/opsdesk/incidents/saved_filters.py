"""Saved filters: a queue with its filters and sort, kept by an agent under a name."""

from urllib.parse import parse_qsl, urlencode

from django.db import transaction

from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.records import record_delete
from opsdesk.core.tickets.services import require_agent
from opsdesk.incidents.models import SavedFilter
from opsdesk.incidents.selectors import QUEUES


def saved_filter_create(*, actor, name: str, queue: str, query: str):
    """Keep the current queue, filters and sort under a name; the same name replaces it."""
    require_agent(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Name the filter.", fields={"name": ["This field is required."]})
    if queue not in QUEUES:
        raise ValidationFailed("Unknown queue.", fields={"queue": [f"Pick one of {list(QUEUES)}."]})
    # Paging position is not part of a filter.
    kept = [(k, v) for k, v in parse_qsl(query or "") if k not in ("after", "page")]
    saved, _ = SavedFilter.objects.update_or_create(
        owner=actor, name=name[:60], defaults={"queue": queue, "query": urlencode(kept)[:1000]}
    )
    return saved


@transaction.atomic
def saved_filter_delete(*, actor, saved_filter) -> None:
    if saved_filter.owner_id != actor.pk:
        raise NotPermitted("You may only delete your own saved filters.")
    record_delete(saved_filter, actor=actor)
