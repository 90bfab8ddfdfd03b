"""The shared write path answers known checks without queries, with unchanged outcomes.

Foreign keys given as loaded rows are not looked up again, check constraints over a record's
own fields are decided in Python exactly as the database decides them, empty links read back
without a query, and a transaction that publishes several facts wakes the worker once.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CheckConstraint, F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core import outbox
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import NumberSequence, OutboxEvent, Team
from opsdesk.core.numbering import number_next
from opsdesk.core.records import constraint_holds, full_check, record_create, validated_save
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents.models import Incident

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LATER = NOW + timedelta(hours=1)

CONDITIONS = [
    Q(priority__gte=1, priority__lte=5),
    Q(outage_end__isnull=True)
    | Q(outage_start__isnull=True)
    | Q(outage_end__gte=F("outage_start")),
    ~Q(impact=F("urgency")),
    ~Q(outage_end__gt=F("outage_start")),
    Q(priority__in=[1, 2]) | Q(is_major=True),
    Q(reopen_count__lt=F("escalation_level")) | Q(escalation_level=0),
    Q(state="new") | ~Q(closed_at=None),
    Q(major_ended_at__gt=NOW),
    Q(update_cadence_minutes__isnull=False, update_cadence_minutes__gte=5),
]
VALUES = [
    {"priority": 3, "impact": 2, "urgency": 2, "outage_start": None, "outage_end": None},
    {"priority": 0, "impact": 1, "urgency": 3, "outage_start": NOW, "outage_end": LATER},
    {"priority": 7, "impact": 3, "urgency": 3, "outage_start": LATER, "outage_end": NOW},
    {"priority": 1, "is_major": True, "outage_start": NOW, "outage_end": NOW},
    {"priority": 5, "reopen_count": 2, "escalation_level": 1, "closed_at": NOW},
    {"priority": 2, "state": "closed", "major_ended_at": LATER, "update_cadence_minutes": 4},
    {"priority": 2, "major_ended_at": NOW - timedelta(days=1), "update_cadence_minutes": 30},
]


def incident_with(**values) -> Incident:
    fields = {"number": "INC7000001", "short_description": "x", "opened_at": NOW, **values}
    return Incident(caller_id=1, **fields)


@pytest.mark.parametrize("condition", CONDITIONS, ids=range(len(CONDITIONS)))
def test_check_constraints_are_decided_as_the_database_decides(condition):
    constraint = CheckConstraint(condition=condition, name="probe")
    for values in VALUES:
        obj = incident_with(**values)
        try:
            constraint.validate(Incident, obj)  # Django asks the database
            by_database = True
        except ValidationError:
            by_database = False
        assert constraint_holds(constraint, Incident, obj) is by_database, values


def test_conditions_python_cannot_decide_go_to_the_database():
    text_order = CheckConstraint(condition=Q(short_description__gt="m"), name="probe")
    joined = CheckConstraint(condition=Q(caller__username="x"), name="probe")
    obj = incident_with()
    assert constraint_holds(text_order, Incident, obj) is None
    assert constraint_holds(joined, Incident, obj) is None


def test_excluded_fields_skip_the_constraint_as_django_does():
    constraint = CheckConstraint(condition=Q(priority__lte=5), name="probe")
    assert constraint_holds(constraint, Incident, incident_with(priority=9), {"priority"})


def test_a_broken_constraint_is_the_same_error_as_full_clean(admin_user_):
    caller = UserFactory()
    bad = {"outage_start": LATER, "outage_end": NOW, "priority": 9, "impact": 7}
    reference = Incident(caller=caller, short_description="", opened_at=NOW, number="", **bad)
    with pytest.raises(ValidationError) as expected:
        reference.full_clean()
    obj = Incident(caller=caller, short_description="", opened_at=NOW, number="", **bad)
    with pytest.raises(ValidationError) as got:
        full_check(obj)
    assert got.value.message_dict == expected.value.message_dict
    assert "The outage cannot end before it starts." in got.value.message_dict["__all__"]


def test_a_foreign_key_given_as_a_loaded_row_is_not_looked_up_again():
    caller, team = UserFactory(), TeamFactory()
    obj = Incident(
        caller=caller, assignment_group=team, short_description="x", opened_at=NOW, number="N1"
    )
    with CaptureQueriesContext(connection) as queries:
        full_check(obj, unique_known=("number",))
    assert not queries.captured_queries


def test_a_foreign_key_given_by_id_is_still_checked():
    obj = Incident(caller_id=987654, short_description="x", opened_at=NOW, number="N2")
    with pytest.raises(ValidationFailed) as failed:
        validated_save(obj)
    assert "caller" in failed.value.fields
    assert not Incident.objects.filter(number="N2").exists()


def test_uniqueness_is_still_checked_unless_the_caller_vouches_for_it():
    TeamFactory(name="Network")
    with pytest.raises(ValidationFailed) as failed:
        record_create(Team, values={"name": "Network", "type": "technical"}, actor=None)
    assert "name" in failed.value.fields


def test_empty_links_of_a_new_record_read_back_without_a_query(admin_user_):
    member = UserFactory()
    with transaction.atomic():
        team = record_create(
            Team, values={"name": "Linkless", "type": "technical"}, actor=None, m2m={"members": []}
        )
        with CaptureQueriesContext(connection) as queries:
            assert list(team.members.all()) == []
        assert not queries.captured_queries
        team.members.add(member)  # the manager forgets what it knew
        assert list(team.members.all()) == [member]
        linked = record_create(
            Team,
            values={"name": "Linked", "type": "technical"},
            actor=None,
            m2m={"members": [member.pk]},
        )
    assert list(linked.members.all()) == [member]
    assert list(Team.objects.get(name="Linkless").members.all()) == [member]


# --- the outbox wakes the worker once per transaction ----------------------------------------
@pytest.fixture
def wakes(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(outbox, "_after_commit_hooks", [lambda: calls.append("wake")])
    return calls


def test_one_wake_per_transaction_however_many_facts(wakes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.outbox_publish(topic="test.one", payload={})
        outbox.outbox_publish_many([("test.two", {"n": 2}), ("test.three", {"n": 3})])
        with transaction.atomic():
            outbox.outbox_publish(topic="test.four", payload={})
    assert wakes == ["wake"]
    assert list(OutboxEvent.objects.values_list("topic", flat=True)) == [
        "test.one",
        "test.two",
        "test.three",
        "test.four",
    ]


def test_a_wake_lost_with_a_rolled_back_savepoint_is_asked_for_again(
    wakes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                outbox.outbox_publish(topic="test.undone", payload={})
                raise RuntimeError
        except RuntimeError:
            pass
        outbox.outbox_publish(topic="test.kept", payload={})
    assert wakes == ["wake"]
    assert list(OutboxEvent.objects.values_list("topic", flat=True)) == ["test.kept"]


# --- numbering -------------------------------------------------------------------------------
def test_a_sequence_started_earlier_carries_on():
    NumberSequence.objects.create(prefix="CHG", last_value=1041)
    with transaction.atomic():
        assert number_next(prefix="CHG") == "CHG0001042"
        assert number_next(prefix="CHG") == "CHG0001043"
