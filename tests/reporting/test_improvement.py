"""The improvement register: actions with an owner, a due date, a state and the number they
should move; each action's page shows that number before the action started and since."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.problems.services import problem_create
from opsdesk.reporting.models import ImprovementAction, RecordFact
from opsdesk.reporting.selectors import improvement_measure
from opsdesk.reporting.services.improvement import (
    improvement_create,
    improvement_transition,
    improvement_update,
)

pytestmark = pytest.mark.django_db

# Every move from every state: the table is written here, not read from the workflow.
STATES = ("planned", "in_progress", "done", "dropped")
ALLOWED = {
    ("planned", "start"): "in_progress",
    ("planned", "drop"): "dropped",
    ("in_progress", "finish"): "done",
    ("in_progress", "drop"): "dropped",
    ("done", "reopen"): "in_progress",
    ("dropped", "reopen"): "in_progress",
}
MOVES = ("start", "finish", "drop", "reopen")


def _action(actor, **values):
    return improvement_create(
        actor=actor,
        values={"title": "Fewer VPN incidents", "owner": actor, "metric_key": "opened", **values},
    )


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("move", MOVES)
def test_every_move_from_every_state(desk_agent, state, move):
    action = _action(desk_agent)
    ImprovementAction.objects.filter(pk=action.pk).update(state=state)
    action.refresh_from_db()
    expected = ALLOWED.get((state, move))
    if expected is None:
        with pytest.raises(TransitionRefused):
            improvement_transition(actor=desk_agent, action=action, name=move, outcome="x")
        action.refresh_from_db()
        assert action.state == state
    else:
        moved = improvement_transition(actor=desk_agent, action=action, name=move, outcome="x")
        assert moved.state == expected


@pytest.mark.parametrize("move", ["finish", "drop"])
def test_finishing_or_dropping_asks_for_the_outcome(desk_agent, move):
    action = improvement_transition(actor=desk_agent, action=_action(desk_agent), name="start")
    with pytest.raises(TransitionRefused) as refused:
        improvement_transition(actor=desk_agent, action=action, name=move, outcome="  ")
    assert "outcome" in refused.value.fields


def test_starting_and_finishing_stamp_the_measured_days(desk_agent, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 2, 10, tzinfo=UTC))
    action = improvement_transition(actor=desk_agent, action=_action(desk_agent), name="start")
    assert action.started_on == date(2026, 3, 2)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 20, 10, tzinfo=UTC))
    action = improvement_transition(
        actor=desk_agent, action=action, name="finish", outcome="Split tunnelling rolled out"
    )
    assert action.finished_on == date(2026, 3, 20)
    assert action.outcome == "Split tunnelling rolled out"
    action = improvement_transition(actor=desk_agent, action=action, name="reopen")
    assert (action.state, action.started_on, action.finished_on) == (
        "in_progress",
        date(2026, 3, 2),
        None,
    )


def test_requesters_raise_nothing(caller):
    with pytest.raises(NotPermitted):
        _action(caller)


def test_only_the_owner_the_raiser_or_an_admin_move_it(desk_agent, agent_user, admin_user_):
    action = _action(desk_agent)
    with pytest.raises(NotPermitted):
        improvement_transition(actor=agent_user, action=action, name="start")
    with pytest.raises(NotPermitted):
        improvement_update(actor=agent_user, action=action, values={"title": "Mine now"})
    assert improvement_transition(actor=admin_user_, action=action, name="start").state == (
        "in_progress"
    )


@pytest.mark.parametrize(
    "values, field",
    [
        ({"metric_key": "happiness"}, "metric_key"),
        ({"metric_filters": "team=Service+Desk"}, "metric_filters"),
        ({"metric_filters": "record_type=spaceship"}, "metric_filters"),
    ],
)
def test_bad_values_name_the_field_and_save_nothing(desk_agent, values, field):
    with pytest.raises(ValidationFailed) as refused:
        _action(desk_agent, **values)
    assert field in refused.value.fields
    assert not ImprovementAction.objects.exists()


def test_the_owner_is_someone_in_it(desk_agent, caller):
    with pytest.raises(ValidationFailed) as refused:
        _action(desk_agent, owner=caller)
    assert "owner" in refused.value.fields


def test_the_scope_keeps_only_what_narrows_the_number(desk_agent, team):
    action = _action(desk_agent, metric_filters=f"start=2026-01-01&team={team.pk}&priority=1")
    assert action.metric_filters == f"team={team.pk}&priority=1"


def _opened(n, day, team):
    moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
    return RecordFact(
        record_type="incident",
        record_id=n,
        number=f"INC{n:07}",
        state="new",
        team=team,
        opened_at=moment,
        opened_on=day,
        refreshed_at=moment,
    )


def test_the_page_compares_the_number_before_and_since(desk_agent, team, monkeypatch):
    # Opened incidents of the team: 3 a week in the fortnight before 2 March, then 1 a week.
    before = [date(2026, 2, d) for d in (16, 18, 20, 23, 25, 27)]
    after = [date(2026, 3, 3), date(2026, 3, 10)]
    other_team_same_day = date(2026, 3, 4)
    facts = [_opened(n, day, team) for n, day in enumerate(before + after, start=1)]
    facts.append(_opened(99, other_team_same_day, None))
    RecordFact.objects.bulk_create(facts)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 2, 9, tzinfo=UTC))
    action = _action(desk_agent, metric_filters=f"team={team.pk}")
    action = improvement_transition(actor=desk_agent, action=action, name="start")
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 15, 9, tzinfo=UTC))
    measure = improvement_measure(action=action, today=date(2026, 3, 15))
    # After: 2 March .. 15 March = 14 days, 2 opened by the team (the other team's is not).
    # Before: the 14 days before, 16 February .. 1 March: 6 opened.
    assert (measure.after.filters.start, measure.after.filters.end) == (
        date(2026, 3, 2),
        date(2026, 3, 15),
    )
    assert (measure.before.filters.start, measure.before.filters.end) == (
        date(2026, 2, 16),
        date(2026, 3, 1),
    )
    assert (measure.before_value, measure.after_value, measure.moved) == (6, 2, "better")


def test_pages_as_the_desk_sees_them(client, desk_agent, team):
    problem = problem_create(actor=desk_agent, short_description="VPN drops every hour")
    client.force_login(desk_agent)
    response = client.post(
        reverse("reporting:improvement-create"),
        {
            "title": "Split tunnelling for the VPN",
            "owner": desk_agent.email,
            "metric_key": "opened",
            "team": team.pk,
            "problem": problem.number,
        },
        follow=True,
    )
    action = ImprovementAction.objects.get()
    assert f"Improvement action {action.number} is on the register." in response.text
    assert "Opened" in response.text and "Planned" in response.text
    listing = client.get(reverse("reporting:improvements"))
    assert action.number in listing.text and "Planned" in listing.text
    problem_page = client.get(reverse("problems:detail", args=[problem.number]))
    assert action.number in problem_page.text
    started = client.post(
        reverse("reporting:improvement-move", args=[action.number, "start"]),
        {"version": action.version},
        follow=True,
    )
    assert f"{action.number} is in progress" in started.text
    assert "Since it started" in started.text


def test_a_form_with_errors_saves_nothing(client, desk_agent):
    client.force_login(desk_agent)
    response = client.post(
        reverse("reporting:improvement-create"),
        {"title": "", "owner": "nobody@example.org", "metric_key": "opened", "problem": "PRB9"},
    )
    assert response.status_code == 200
    assert "No one here has this e-mail" in response.text
    assert "No problem is numbered PRB9" in response.text
    assert not ImprovementAction.objects.exists()


def test_requesters_are_kept_out(client, caller):
    client.force_login(caller)
    assert client.get(reverse("reporting:improvements")).status_code == 403


def test_a_major_incidents_review_lists_its_actions(client, desk_agent, caller):
    from opsdesk.incidents.models import PostIncidentReview
    from opsdesk.incidents.testing import IncidentFactory

    incident = IncidentFactory(caller=caller, is_major=True)
    review = PostIncidentReview.objects.create(
        incident=incident, outage_start=incident.opened_at, outage_end=incident.opened_at
    )
    client.force_login(desk_agent)
    client.post(
        reverse("reporting:improvement-create"),
        {
            "title": "Failover drill every quarter",
            "owner": desk_agent.email,
            "metric_key": "opened",
            "review": incident.number,
        },
    )
    action = ImprovementAction.objects.get()
    assert action.review == review
    page = client.get(reverse("incidents:detail", args=[incident.pk]))
    assert "Improvement actions from the review" in page.text and action.number in page.text
