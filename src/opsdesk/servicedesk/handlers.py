"""Reactions to other domains' facts, delivered by the outbox (at least once, so idempotent)."""

from django.contrib.auth import get_user_model

from opsdesk.core.outbox import outbox_handler
from opsdesk.core.tickets.registry import TicketType, on_register, ticket_type
from opsdesk.servicedesk.knowledge import known_error_article_publish
from opsdesk.servicedesk.surveys import survey_request


def ask_for_feedback(*, event_id, topic, payload):
    """A ticket reached one of its record type's survey states: ask its caller how it went."""
    try:
        kind = ticket_type(topic.partition(".")[0])
    except KeyError:
        return
    if payload.get("to_state") not in kind.survey_states:
        return
    record = kind.model._default_manager.filter(pk=payload.get("record_id")).first()
    if record is not None:
        survey_request(record=record)


def _listen(kind: TicketType) -> None:
    # Every record type's state changes, so a type that opts in later needs nothing here.
    outbox_handler(kind.topic("state_changed"))(ask_for_feedback)


on_register(_listen)


@outbox_handler("problem.known_error_published")
def known_error_to_article(*, event_id, topic, payload):
    """Problem management published a known error: write or update its knowledge article,
    in the name of who published it (redelivery writes the same content again: no change)."""
    actor = get_user_model().objects.filter(pk=payload.get("actor_id")).first()
    known_error_article_publish(actor=actor, fact=payload)
