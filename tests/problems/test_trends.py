"""Trend detection on the desk: a run turns recurring incidents into candidates with their
evidence; the desk accepts one (a problem with those incidents linked) or dismisses it (and
is not asked again about the same incidents); the nightly job and the "Look for trends"
button run it; requesters do none of it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import AuditEntry, OutboxEvent
from opsdesk.incidents.models import Category, Incident
from opsdesk.incidents.services import incident_open
from opsdesk.problems import services as problem_services
from opsdesk.problems.models import CandidateState, LinkVia, ProblemCandidate, ProblemIncident
from opsdesk.problems.tasks import problems_trends
from opsdesk.problems.trends.services import candidate_accept, candidate_dismiss, trend_detect
from tests.cmdb.factories import CIFactory

pytestmark = pytest.mark.django_db

KIOSK_CALLS = [
    "Reception kiosk freezes when printing a visitor badge",
    "Visitor kiosk at reception hangs on the badge printing screen",
    "The reception kiosk froze again while printing a badge",
    "Kiosk in reception stuck printing the visitor badge",
    "Reception kiosk hangs printing visitor badges",
]
OTHER_CALLS = [
    "Laptop battery runs flat within an hour",
    "Outlook does not start",
    "Second monitor not detected on the docking station",
    "Cannot find the shared calendar",
    "Password expired while on holiday",
    "Excel crashes when opening large workbooks",
]


@pytest.fixture
def place(db):
    hardware = Category.objects.create(name="Hardware")
    return {
        "service": CIFactory(name="Workplace devices"),
        "ci": CIFactory(name="kiosk-reception-01"),
        "category": hardware,
    }


def _call(actor, caller, text, *, days_ago, **where):
    incident = incident_open(actor=actor, caller=caller, short_description=text, **where)
    at = timezone.now() - timedelta(days=days_ago, hours=1)
    Incident.objects.filter(pk=incident.pk).update(opened_at=at)
    incident.refresh_from_db()
    return incident


@pytest.fixture
def kiosk(desk_agent, caller, place):
    """Five calls about the reception kiosk over two weeks, among unrelated calls."""
    calls = [
        _call(desk_agent, caller, text, days_ago=2 + 3 * n, **place)
        for n, text in enumerate(KIOSK_CALLS)
    ]
    for n, text in enumerate(OTHER_CALLS):
        _call(desk_agent, caller, text, days_ago=1 + n, category=place["category"])
    return calls


def test_a_run_offers_the_recurring_calls_with_their_evidence(desk_agent, kiosk, place):
    run = trend_detect(actor=desk_agent)
    assert len(run.found) == 1
    candidate = run.found[0]
    assert set(candidate.incidents.all()) == set(kiosk)
    assert candidate.incident_count == 5
    assert candidate.state == CandidateState.OPEN
    assert candidate.first_seen == min(i.opened_at for i in kiosk)
    assert candidate.last_seen == max(i.opened_at for i in kiosk)
    assert list(candidate.services.all()) == [place["service"]]
    assert list(candidate.cis.all()) == [place["ci"]]
    assert {"kiosk", "reception"} <= set(candidate.top_terms)
    assert candidate.title in KIOSK_CALLS
    # Problem managers hear of it through the outbox, in the run's transaction; it is audited.
    fact = OutboxEvent.objects.get(topic="problem.candidate_found")
    assert fact.payload["candidate_id"] == candidate.pk
    assert fact.payload["incident_count"] == 5
    assert AuditEntry.objects.filter(
        action="problem_candidate.found", object_id=str(candidate.pk)
    ).exists()


def test_a_second_run_over_the_same_incidents_offers_nothing_new(desk_agent, kiosk):
    trend_detect(actor=desk_agent)
    again = trend_detect(actor=desk_agent)
    assert again.found == [] and again.unchanged == 1
    assert ProblemCandidate.objects.count() == 1
    assert OutboxEvent.objects.filter(topic="problem.candidate_found").count() == 1


def test_a_trend_that_grows_updates_its_candidate(desk_agent, caller, kiosk, place):
    first = trend_detect(actor=desk_agent).found[0]
    newest = _call(
        desk_agent, caller, "Reception kiosk frozen printing a badge", days_ago=0, **place
    )
    run = trend_detect(actor=desk_agent)
    assert run.found == [] and [c.pk for c in run.updated] == [first.pk]
    first.refresh_from_db()
    assert first.incident_count == 6 and newest in first.incidents.all()


def test_the_window_leaves_older_calls_out(desk_agent, kiosk, settings):
    settings.OPSDESK_TREND_WINDOW_DAYS = 7  # only the two newest kiosk calls are inside
    assert trend_detect(actor=desk_agent).found == []


def test_incidents_linked_to_an_open_problem_are_left_out(desk_agent, kiosk):
    problem_services.problem_create(
        actor=desk_agent, short_description="Kiosk freezes", incidents=kiosk[:3]
    )
    assert trend_detect(actor=desk_agent).found == []  # two calls left: not a trend


def test_duplicates_merged_into_one_incident_count_once(desk_agent, caller, kiosk, place):
    # An alert storm deduplicated into one incident, and the calls merged into it as
    # duplicates, are one occurrence: the duplicates are not counted again.
    original = kiosk[0]
    copies = [_call(desk_agent, caller, KIOSK_CALLS[0], days_ago=2, **place) for _ in range(3)]
    Incident.objects.filter(pk__in=[c.pk for c in copies]).update(duplicate_of=original)
    candidate = trend_detect(actor=desk_agent).found[0]
    assert candidate.incident_count == 5
    assert not set(copies) & set(candidate.incidents.all())


def test_accepting_raises_a_problem_with_the_incidents_linked(desk_agent, kiosk, place):
    candidate = trend_detect(actor=desk_agent).found[0]
    problem = candidate_accept(
        actor=desk_agent, candidate=candidate, title="Reception kiosk freezes on badges"
    )
    assert problem.short_description == "Reception kiosk freezes on badges"
    assert problem.caller == desk_agent
    assert problem.incident_count == 5
    links = ProblemIncident.objects.filter(problem=problem)
    assert {link.incident for link in links} == set(kiosk)
    assert {link.via for link in links} == {LinkVia.TREND}
    assert {link.linked_by for link in links} == {desk_agent}
    assert list(problem.cis.all()) == [place["ci"]]
    assert problem.category == place["category"]
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.ACCEPTED
    assert candidate.problem == problem and candidate.decided_by == desk_agent
    # Its incidents are now the problem's: the next run leaves them out.
    assert trend_detect(actor=desk_agent).found == []


def test_a_dismissed_trend_does_not_come_back_with_the_same_incidents_or_fewer(
    desk_agent, caller, kiosk, place
):
    candidate = trend_detect(actor=desk_agent).found[0]
    candidate_dismiss(actor=desk_agent, candidate=candidate, reason="The kiosk is replaced")
    run = trend_detect(actor=desk_agent)
    assert run.found == [] and run.dismissed_before == 1
    # Fewer of the same incidents (one was linked to a problem meanwhile): still no.
    problem_services.problem_create(
        actor=desk_agent, short_description="One kiosk call", incidents=kiosk[:1]
    )
    assert trend_detect(actor=desk_agent).found == []
    # A new call joins the trend: that is new evidence, offered again.
    _call(desk_agent, caller, "Reception kiosk hangs on the badge again", days_ago=0, **place)
    again = trend_detect(actor=desk_agent).found
    assert len(again) == 1 and again[0].incident_count == 5
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.DISMISSED
    assert candidate.dismiss_reason == "The kiosk is replaced"


# Every move of a candidate, from each state: (state, decision, allowed).
DECISIONS = [
    (CandidateState.OPEN, "accept", True),
    (CandidateState.OPEN, "dismiss", True),
    (CandidateState.ACCEPTED, "accept", False),
    (CandidateState.ACCEPTED, "dismiss", False),
    (CandidateState.DISMISSED, "accept", False),
    (CandidateState.DISMISSED, "dismiss", False),
]
AFTER = {"accept": CandidateState.ACCEPTED, "dismiss": CandidateState.DISMISSED}


@pytest.mark.parametrize(("state", "decision", "allowed"), DECISIONS)
def test_decisions_follow_the_table(desk_agent, kiosk, state, decision, allowed):
    candidate = trend_detect(actor=desk_agent).found[0]
    ProblemCandidate.objects.filter(pk=candidate.pk).update(state=state)
    decide = candidate_accept if decision == "accept" else candidate_dismiss
    if allowed:
        decide(actor=desk_agent, candidate=candidate)
        candidate.refresh_from_db()
        assert candidate.state == AFTER[decision]
    else:
        with pytest.raises(ValidationFailed):
            decide(actor=desk_agent, candidate=candidate)
        candidate.refresh_from_db()
        assert candidate.state == state
        assert not ProblemIncident.objects.exists()


def test_requesters_may_not_look_for_trends_or_decide(desk_agent, caller, kiosk):
    with pytest.raises(NotPermitted):
        trend_detect(actor=caller)
    candidate = trend_detect(actor=desk_agent).found[0]
    for decide in (candidate_accept, candidate_dismiss):
        with pytest.raises(NotPermitted):
            decide(actor=caller, candidate=candidate)
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.OPEN


def test_a_too_long_dismissal_reason_is_refused_with_the_field(desk_agent, kiosk):
    candidate = trend_detect(actor=desk_agent).found[0]
    with pytest.raises(ValidationFailed) as refused:
        candidate_dismiss(actor=desk_agent, candidate=candidate, reason="x" * 501)
    assert "reason" in refused.value.fields
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.OPEN


def test_the_nightly_job_runs_as_the_worker(kiosk):
    problems_trends.call_local()
    candidate = ProblemCandidate.objects.get()
    entry = AuditEntry.objects.get(action="problem_candidate.found")
    assert entry.source == "worker" and entry.actor is None
    assert candidate.incident_count == 5


# --- the page ---------------------------------------------------------------------------
def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_page_is_reachable_from_the_problems_queue_and_explains_when_empty(desk_agent):
    client = _signed_in(desk_agent)
    queue = client.get(reverse("problems:queue")).content.decode()
    assert reverse("problems:trends") in queue
    page = client.get(reverse("problems:trends")).content.decode()
    assert "No trends to decide on" in page
    assert "Look for trends" in page


def test_look_for_trends_shows_the_candidates_with_their_evidence(desk_agent, kiosk):
    client = _signed_in(desk_agent)
    answer = client.post(reverse("problems:trends_look"), {"days": "30"}, follow=True)
    page = answer.content.decode()
    assert "1 new trend" in page
    assert "To decide" in page
    for incident in kiosk:
        assert incident.number in page
    assert "kiosk-reception-01" in page and "Workplace devices" in page


def test_a_bad_window_is_refused_with_a_message_and_runs_nothing(desk_agent, kiosk):
    client = _signed_in(desk_agent)
    for days in ("zero", "0", "999"):
        answer = client.post(reverse("problems:trends_look"), {"days": days}, follow=True)
        assert answer.status_code == 200
        assert "Give the window as a number of days" in answer.content.decode()
    assert not ProblemCandidate.objects.exists()


def test_accepting_and_dismissing_on_the_page(desk_agent, kiosk):
    client = _signed_in(desk_agent)
    candidate = trend_detect(actor=desk_agent).found[0]
    answer = client.post(
        reverse("problems:trend_accept", args=[candidate.pk]),
        {"title": "Kiosk freezes", "version": candidate.version},
    )
    candidate.refresh_from_db()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("problems:detail", args=[candidate.problem.number])
    # Deciding again on a decided candidate: not found among the open ones.
    again = client.post(reverse("problems:trend_dismiss", args=[candidate.pk]))
    assert again.status_code == 404
    accepted = client.get(reverse("problems:trends"), {"state": "accepted"}).content.decode()
    assert candidate.problem.number in accepted and "Accepted by" in accepted


def test_a_stale_decision_is_refused_with_a_message(desk_agent, kiosk):
    client = _signed_in(desk_agent)
    candidate = trend_detect(actor=desk_agent).found[0]
    ProblemCandidate.objects.filter(pk=candidate.pk).update(version=candidate.version + 1)
    answer = client.post(
        reverse("problems:trend_dismiss", args=[candidate.pk]),
        {"version": candidate.version},
        follow=True,
    )
    assert answer.status_code == 200
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.OPEN


def test_requesters_do_not_see_the_page(caller):
    client = _signed_in(caller)
    assert client.get(reverse("problems:trends")).status_code in (302, 403)
    assert client.post(reverse("problems:trends_look")).status_code in (302, 403)
    assert not ProblemCandidate.objects.exists()


def test_the_list_is_paginated(desk_agent):
    now = timezone.now()
    ProblemCandidate.objects.bulk_create(
        ProblemCandidate(
            title=f"Trend {n:02d}",
            incident_count=3,
            first_seen=now - timedelta(days=n + 3),
            last_seen=now - timedelta(days=n),
            signature=str(n),
            found_at=now,
        )
        for n in range(25)
    )
    client = _signed_in(desk_agent)
    first = client.get(reverse("problems:trends")).content.decode()
    second = client.get(reverse("problems:trends"), {"page": 2}).content.decode()
    assert "Trend 00" in first and "Trend 19" in first and "Trend 20" not in first
    assert "Trend 24" in second and "Trend 00" not in second
    assert 'rel="next"' in first


def test_problem_managers_hear_of_a_new_trend_unless_they_switched_it_off(desk_agent, kiosk):
    from opsdesk.core.outbox import outbox_deliver_due
    from opsdesk.core.roles import Role
    from opsdesk.core.testing.factories import UserFactory
    from opsdesk.notifications.models import Delivery, InAppNotification, NotificationPreference

    manager = UserFactory(roles=[Role.AGENT, Role.PROBLEM_MANAGER], email="pat@example.com")
    quiet = UserFactory(roles=[Role.AGENT, Role.PROBLEM_MANAGER], email="quiet@example.com")
    NotificationPreference.objects.create(
        user=quiet, event="trend_found", channel="email", enabled=False
    )
    trend_detect(actor=desk_agent)
    outbox_deliver_due()
    mail = Delivery.objects.get(event="trend_found")
    assert mail.address == "pat@example.com"
    assert "5 similar incidents" in mail.body_text
    assert reverse("problems:trends") in mail.body_text
    lines = InAppNotification.objects.filter(event="trend_found")
    assert {line.user for line in lines} == {manager, quiet}  # only mail was switched off
    assert not Delivery.objects.filter(address=desk_agent.email).exists()
