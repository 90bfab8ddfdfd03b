"""Surveys and saved filters leave the incident model: the migrations keep every row, and
going back puts the incident ones where they were."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from opsdesk.core.models import SavedFilter
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents.testing import IncidentFactory
from opsdesk.servicedesk.models import Survey

BEFORE = [
    ("servicedesk", "0005_kb_search_index_on_postgresql"),
    ("incidents", "0009_backfill_ticket_history"),
    ("core", "0007_ticket_platform"),
]
AFTER = [
    ("servicedesk", "0006_survey_any_record_type"),
    ("incidents", "0010_saved_filters_in_core"),
    ("core", "0009_saved_filters"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# Serialized rollback, as every transactional test here (tests/conftest.py says why).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_surveys_and_saved_filters_move_and_come_back():
    caller = UserFactory(roles=[Role.REQUESTER])
    agent = UserFactory(roles=[Role.AGENT])
    incident = IncidentFactory(caller=caller)
    try:
        old = migrate(BEFORE)
        old.get_model("servicedesk", "Survey").objects.create(
            incident_id=incident.pk, caller_id=caller.pk, expires_at=incident.opened_at, rating=4
        )
        old.get_model("incidents", "SavedFilter").objects.create(
            owner_id=agent.pk, name="P1 only", queue="open", query="priority=1"
        )
        migrate(AFTER)
        survey = Survey.objects.get()
        assert (survey.record_type, survey.record_id, survey.number) == (
            "incident",
            incident.pk,
            incident.number,
        )
        assert survey.record == incident and survey.rating == 4
        saved = SavedFilter.objects.get()
        assert (saved.owner_id, saved.record_type, saved.name, saved.queue, saved.query) == (
            agent.pk,
            "incident",
            "P1 only",
            "open",
            "priority=1",
        )

        back = migrate(BEFORE)
        (survey_then,) = back.get_model("servicedesk", "Survey").objects.all()
        assert survey_then.incident_id == incident.pk and survey_then.rating == 4
        (filter_then,) = back.get_model("incidents", "SavedFilter").objects.all()
        assert (filter_then.name, filter_then.query) == ("P1 only", "priority=1")
    finally:
        # Back to the latest of every app: later migrations (of these apps or those that
        # depend on them) were undone by going back too.
        executor = MigrationExecutor(connection)
        migrate(executor.loader.graph.leaf_nodes())
