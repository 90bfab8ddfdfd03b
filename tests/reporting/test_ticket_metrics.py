"""Ticket time metrics against figures worked out by hand.

Real incidents and a requested item are driven through their services on a frozen clock,
in an organisation on London time whose desk works Monday to Friday 08:00–17:00, with a
company holiday on Wednesday 25 March 2026 and the clocks going forward on Sunday 29 March
2026 (01:00 GMT becomes 02:00 BST). Then the outbox delivers and the metrics are read.

Times below are London wall-clock times. Until 29 March London is on GMT (UTC+0), after it
on BST (UTC+1).
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents import services as incidents
from opsdesk.incidents.models import Incident
from opsdesk.incidents.testing import resolution_code
from opsdesk.reporting.metrics import Filters, compute, metric
from opsdesk.reporting.models import RecordFact
from opsdesk.service_requests import services as requests
from opsdesk.service_requests.testing import CatalogItemFactory
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
HOUR = 3600


class Clock:
    """``timezone.now()`` for every service while a test drives records through them."""

    def __init__(self):
        self.now = datetime(2026, 3, 2, 9, tzinfo=UTC)

    def at(self, *parts) -> datetime:
        """Move to a London wall-clock time."""
        self.now = datetime(*parts, tzinfo=LONDON).astimezone(UTC)
        return self.now

    def deliver(self) -> None:
        """Hand every due outbox fact to its handlers (reporting's refreshes the fact rows)."""
        while True:
            delivered, failed = outbox_deliver_due(now=self.now + timedelta(seconds=1), limit=500)
            assert failed == 0
            if not delivered:
                return


@pytest.fixture
def clock(monkeypatch, settings):
    settings.OPSDESK_TIME_ZONE = "Europe/London"
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


@pytest.fixture
def office(db):
    """Monday to Friday 08:00–17:00 London time; Wednesday 25 March 2026 is a holiday."""
    return CalendarFactory(
        name="London office",
        time_zone="Europe/London",
        working_hours={day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=[{"date": "2026-03-25", "name": "Company day"}],
    )


@pytest.fixture
def policies(office):
    """Incidents and requested items on office hours; on hold awaiting the caller pauses."""
    common = {
        "response_target": timedelta(hours=4),
        "resolution_target": timedelta(hours=40),
        "response_calendar": office,
        "resolution_calendar": office,
        "response_pause_reasons": ["awaiting_caller"],
        "resolution_pause_reasons": ["awaiting_caller"],
    }
    return (
        PolicyFactory(name="Incidents", record_type="incident", pause_states=["on_hold"], **common),
        PolicyFactory(
            name="Items", record_type="request_item", pause_states=["info_needed"], **common
        ),
    )


@pytest.fixture
def network(db):
    return TeamFactory(name="Network")


@pytest.fixture
def net_agent(network):
    user = UserFactory(roles=[Role.AGENT])
    network.members.add(user)
    return user


def resolve(agent, incident, notes="Fixed"):
    return incidents.incident_transition(
        actor=agent,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes=notes,
    )


def open_incident(actor, caller, group, *, channel, impact=3, urgency=3, assignee=None):
    return incidents.incident_open(
        actor=actor,
        caller=caller,
        short_description=f"{channel} contact",
        channel=channel,
        assignment_group=group,
        assignee=assignee,
        impact=impact,
        urgency=urgency,
    )


def fact(record) -> RecordFact:
    return RecordFact.objects.get(record_id=record.pk, number=record.number)


MARCH = {"start": date(2026, 3, 23), "end": date(2026, 3, 31)}


def figures(key, *, business=False, **filters):
    """A metric's total over the last week and a half of March 2026, incidents only."""
    filters.setdefault("record_type", "incident")
    return compute(key, Filters(**MARCH, business=business, **filters)).total


def rows(key, group_by, *, business=False, **filters):
    filters.setdefault("record_type", "incident")
    result = compute(key, Filters(**MARCH, business=business, group_by=group_by, **filters))
    return [(row["label"], {k: row[k] for k, _ in result.columns}) for row in result.rows]


@pytest.fixture
def desk(clock, policies, team, network, desk_agent, net_agent, caller, client):
    """Six incidents and a requested item, each step at its own time (London)."""
    made = {}

    # A — phone, P3, Service Desk. Opened Mon 23 Mar 09:00 GMT. An automatic reply (posted
    # by the system) at 09:02 and a work note at 09:05 are no response; acknowledged 09:10
    # (acknowledging is no reply either); public reply 09:30; resolved 11:00.
    clock.at(2026, 3, 23, 9, 0)
    a = open_incident(desk_agent, caller, team, channel="phone", impact=2, urgency=2)
    clock.at(2026, 3, 23, 9, 2)
    incidents.incident_comment(actor=None, incident=a, body="We have your call.")
    clock.at(2026, 3, 23, 9, 5)
    incidents.incident_comment(actor=desk_agent, incident=a, body="Looks local", internal=True)
    clock.at(2026, 3, 23, 9, 10)
    a = incidents.incident_acknowledge(actor=desk_agent, incident=a)
    clock.at(2026, 3, 23, 9, 30)
    incidents.incident_comment(actor=desk_agent, incident=a, body="Try the other socket")
    clock.at(2026, 3, 23, 11, 0)
    made["A"] = resolve(desk_agent, a)

    # E — phone, P5, Service Desk: opened Mon 23 Mar 10:00, cancelled 10:30 as a duplicate.
    clock.at(2026, 3, 23, 10, 0)
    e = open_incident(desk_agent, caller, team, channel="phone")
    clock.at(2026, 3, 23, 10, 30)
    made["E"] = incidents.incident_transition(
        actor=desk_agent, incident=e, action="cancel", reason="Duplicate call"
    )

    # G — a requested item (no approval, no plan) ordered Mon 23 Mar 14:00, fulfilled by the
    # desk Tue 24 Mar 09:30. Its request (REQ) follows it.
    clock.at(2026, 3, 23, 14, 0)
    mouse = CatalogItemFactory(name="Mouse", slug="mouse", owner_team=team)
    order = requests.request_submit(actor=caller, lines=[(mouse, {}, 1)])
    item = order.items.get()
    clock.at(2026, 3, 24, 9, 30)
    made["G"] = requests.item_transition(actor=desk_agent, item=item, action="fulfil")
    made["REQ"] = order

    # F — made by a monitoring event Tue 24 Mar 03:00, P5, Network; nobody acknowledges it
    # and it stays open.
    clock.at(2026, 3, 24, 3, 0)
    made["F"] = open_incident(None, caller, network, channel="event")

    # D — portal, P3, Network. Opened Tue 24 Mar 16:00; given to a person 16:05; public reply
    # 16:45; on hold awaiting the caller Thu 26 Mar 09:00–11:00; resolved Thu 12:00. The
    # caller reopens it from the portal Fri 27 Mar 10:00; resolved again Fri 11:00.
    clock.at(2026, 3, 24, 16, 0)
    d = open_incident(desk_agent, caller, network, channel="portal", impact=2, urgency=2)
    clock.at(2026, 3, 24, 16, 5)
    d = incidents.incident_assign(
        actor=desk_agent, incident=d, assignment_group=network, assignee=net_agent
    )
    clock.at(2026, 3, 24, 16, 45)
    incidents.incident_comment(actor=net_agent, incident=d, body="Can you send a screenshot?")
    clock.at(2026, 3, 26, 9, 0)
    d = incidents.incident_transition(
        actor=net_agent, incident=d, action="hold", hold_reason="awaiting_caller"
    )
    clock.at(2026, 3, 26, 11, 0)
    d = incidents.incident_transition(actor=net_agent, incident=d, action="resume")
    clock.at(2026, 3, 26, 12, 0)
    made["D"] = resolve(net_agent, d)
    clock.deliver()
    made["D_first"] = {
        "mttr_total": figures("mttr_total"),
        "reopen_rate": figures("reopen_rate"),
        "backlog": figures("backlog"),
    }

    clock.at(2026, 3, 27, 10, 0)
    client.force_login(caller)
    reopened = client.post(
        reverse("servicedesk:ticket-action", args=[d.pk, "reopen"]), {"reason": "Still broken"}
    )
    assert reopened.status_code == 302
    clock.deliver()
    made["D_reopened"] = {
        "mttr_total": figures("mttr_total"),
        "reopen_rate": figures("reopen_rate"),
        "backlog": figures("backlog"),
    }
    clock.at(2026, 3, 27, 11, 0)
    made["D"] = resolve(net_agent, Incident.objects.get(pk=d.pk), notes="Driver replaced")

    # B — email, P5, Service Desk. Opened Fri 27 Mar 17:30 GMT (after hours), resolved
    # Mon 30 Mar 08:40 BST, across the weekend and the change to summer time. Nobody
    # acknowledged it or answered before the resolution.
    clock.at(2026, 3, 27, 17, 30)
    b = open_incident(desk_agent, caller, team, channel="email")
    clock.at(2026, 3, 30, 8, 40)
    made["B"] = resolve(desk_agent, b)

    # C — phone, P4, Network, taken by the agent who logs it. Opened Mon 30 Mar 00:20 BST,
    # which is Sun 29 Mar 23:20 UTC: the organisation's day is Monday 30 March. Public
    # reply 08:10, resolved 08:20.
    clock.at(2026, 3, 30, 0, 20)
    c = open_incident(
        net_agent, caller, network, channel="phone", impact=2, urgency=3, assignee=net_agent
    )
    clock.at(2026, 3, 30, 8, 10)
    incidents.incident_comment(actor=net_agent, incident=c, body="Reset your router")
    clock.at(2026, 3, 30, 8, 20)
    made["C"] = resolve(net_agent, c)

    clock.at(2026, 3, 31, 12, 0)
    clock.deliver()
    return made


def test_each_records_milestones_in_calendar_and_business_time(desk):
    values = {name: fact(desk[name]) for name in ("A", "B", "C", "D", "E", "F", "G", "REQ")}
    got = {
        name: (
            row.ack_seconds,
            row.ack_business_seconds,
            row.response_seconds,
            row.response_business_seconds,
            row.resolve_seconds,
            row.resolve_business_seconds,
            row.total_resolve_seconds,
            row.total_resolve_business_seconds,
        )
        for name, row in values.items()
    }
    assert got == {
        # ack 09:00→09:10 = 600; reply 09:00→09:30 = 1800; resolved 09:00→11:00 = 7200; all
        # inside working hours, so business time is the same.
        "A": (600, 600, 1800, 1800, 7200, 7200, 7200, 7200),
        # Fri 17:30 GMT (17:30 UTC) → Mon 08:40 BST (07:40 UTC) = 2 days 14 h 10 min
        # = 62 h 10 min = 223 800 s; business: Friday after 17:00 none, Monday 08:00–08:40
        # BST = 40 min = 2 400 s (in UTC hours it would be none: 08:00 UTC is 09:00 BST).
        "B": (None, None, None, None, 223_800, 2_400, 223_800, 2_400),
        # taken at once: ack 0; reply 00:20→08:10 = 7 h 50 min = 28 200 s, business
        # 08:00–08:10 = 600; resolved 00:20→08:20 = 8 h = 28 800 s, business 20 min = 1 200.
        "C": (0, 0, 28_200, 600, 28_800, 1_200, 28_800, 1_200),
        # ack 16:00→16:05 = 300; reply 16:00→16:45 = 2 700 (both in hours).
        # First resolution Tue 16:00 → Thu 12:00 = 44 h = 158 400 s; business: Tue 16–17
        # 1 h + Wed (holiday) 0 + Thu 08–12 4 h − paused Thu 09–11 2 h = 3 h = 10 800 s.
        # Last resolution Tue 16:00 → Fri 11:00 = 67 h = 241 200 s; business: Tue 1 h + Wed 0
        # + Thu 08–17 9 h + Fri 08–11 3 h − paused 2 h = 11 h = 39 600 s.
        "D": (300, 300, 2_700, 2_700, 158_400, 10_800, 241_200, 39_600),
        # cancelled after 30 min: the close is its end (left out of MTTR by the metric).
        "E": (None, None, None, None, 1_800, 1_800, 1_800, 1_800),
        # never acknowledged, never answered, still open.
        "F": (None, None, None, None, None, None, None, None),
        # Mon 14:00 → Tue 09:30 = 19 h 30 min = 70 200 s; business Mon 14–17 3 h + Tue
        # 08:00–09:30 1 h 30 min = 4 h 30 min = 16 200 s.
        "G": (None, None, None, None, 70_200, 16_200, 70_200, 16_200),
        # The request has no SLA clock: its business time is its calendar time.
        "REQ": (None, None, None, None, 70_200, 70_200, 70_200, 70_200),
    }
    assert values["D"].paused_seconds == 2 * HOUR
    assert values["D"].reopen_count == 1
    # Thu 12:00 → Fri 10:00 = 22 h.
    assert values["D"].reopen_gap_seconds == 22 * HOUR
    # The organisation's day of C is Monday 30 March, though it is still Sunday in UTC.
    assert (values["C"].opened_on, values["C"].first_resolved_on) == (
        date(2026, 3, 30),
        date(2026, 3, 30),
    )
    assert (values["B"].opened_on, values["B"].first_resolved_on) == (
        date(2026, 3, 27),
        date(2026, 3, 30),
    )
    assert values["F"].event_made and values["F"].fcr is None
    assert values["E"].is_cancelled and values["E"].fcr is None


def test_mtta_counts_the_never_acknowledged_apart(desk):
    # Opened in the period: A 600, C 0, D 300; B, E and F never acknowledged.
    # Sorted 0, 300, 600: mean 900 / 3 = 300; median 300; p90 at rank 0.9 × 2 = 1.8:
    # 300 + 0.8 × (600 − 300) = 540. All inside working hours, so business is the same.
    expected = {"count": 3, "mean": 300, "median": 300, "p90": 540, "never_acknowledged": 3}
    assert figures("mtta") == pytest.approx(expected)
    assert figures("mtta", business=True) == pytest.approx(expected)
    assert {f.number for f in metric("mtta").records(Filters(**MARCH, record_type="incident"))} == {
        desk[name].number for name in "ACD"
    }


def test_first_response_leaves_out_notes_automatic_replies_and_event_made_records(desk):
    # A 1 800, C 28 200, D 2 700 (F is event-made and left out; B and E never answered).
    # Calendar, sorted 1 800, 2 700, 28 200: mean 32 700 / 3 = 10 900; median 2 700;
    # p90 2 700 + 0.8 × (28 200 − 2 700) = 2 700 + 20 400 = 23 100.
    assert figures("first_response") == pytest.approx(
        {"count": 3, "mean": 10_900, "median": 2_700, "p90": 23_100, "never_responded": 2}
    )
    # Business: A 1 800, C 600, D 2 700 → sorted 600, 1 800, 2 700: mean 5 100 / 3 = 1 700;
    # median 1 800; p90 1 800 + 0.8 × (2 700 − 1 800) = 2 520.
    assert figures("first_response", business=True) == pytest.approx(
        {"count": 3, "mean": 1_700, "median": 1_800, "p90": 2_520, "never_responded": 2}
    )


def test_mttr_is_first_resolution_without_cancelled_and_business_minus_pauses(desk):
    # First resolved in the period: A 7 200, C 28 800, D 158 400, B 223 800 (E cancelled).
    # Sum 418 200 → mean 104 550; median at rank 1.5: 28 800 + 0.5 × 129 600 = 93 600;
    # p90 at rank 2.7: 158 400 + 0.7 × 65 400 = 204 180.
    assert figures("mttr") == pytest.approx(
        {"count": 4, "mean": 104_550, "median": 93_600, "p90": 204_180}
    )
    # Business: C 1 200, B 2 400, A 7 200, D 10 800 → sum 21 600, mean 5 400;
    # median 2 400 + 0.5 × 4 800 = 4 800; p90 7 200 + 0.7 × 3 600 = 9 720.
    assert figures("mttr", business=True) == pytest.approx(
        {"count": 4, "mean": 5_400, "median": 4_800, "p90": 9_720}
    )
    behind = metric("mttr").records(Filters(**MARCH, record_type="incident"))
    assert desk["E"].number not in {f.number for f in behind}


def test_total_resolution_includes_the_reopened_cycle(desk):
    # A 7 200, C 28 800, B 223 800, D 241 200: sum 501 000 → mean 125 250;
    # median 28 800 + 0.5 × 195 000 = 126 300; p90 223 800 + 0.7 × 17 400 = 235 980.
    assert figures("mttr_total") == pytest.approx(
        {"count": 4, "mean": 125_250, "median": 126_300, "p90": 235_980}
    )
    # Business: C 1 200, B 2 400, A 7 200, D 39 600: sum 50 400 → mean 12 600;
    # median 4 800; p90 7 200 + 0.7 × 32 400 = 29 880.
    assert figures("mttr_total", business=True) == pytest.approx(
        {"count": 4, "mean": 12_600, "median": 4_800, "p90": 29_880}
    )


def test_a_reopen_after_the_rollup_changes_the_numbers(desk):
    # Thu 26 Mar after D's first resolution: A (7 200) and D (158 400) resolved; none reopened.
    before = desk["D_first"]
    assert before["mttr_total"] == pytest.approx(
        # mean (7 200 + 158 400) / 2 = 82 800; p90 7 200 + 0.9 × 151 200 = 143 280.
        {"count": 2, "mean": 82_800, "median": 82_800, "p90": 143_280}
    )
    assert before["reopen_rate"] == {"numerator": 0, "denominator": 2, "value": 0}
    assert before["backlog"] == {"count": 1}  # F
    # Fri 27 Mar 10:00, reopened by the caller from the portal: D is open again, out of
    # the total resolution time, and counts as reopened (22 h after its resolution).
    after = desk["D_reopened"]
    assert after["mttr_total"] == pytest.approx(
        {"count": 1, "mean": 7_200, "median": 7_200, "p90": 7_200}
    )
    assert after["reopen_rate"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    assert after["backlog"] == {"count": 2}  # F and D


def test_volumes_and_backlog(desk):
    # Opened 23–31 Mar (organisation days): A, E (23rd), F, D (24th), B (27th), C (30th).
    assert figures("opened") == {"count": 6}
    # First resolved: A (23rd), D (26th), B, C (30th); E was cancelled.
    assert figures("resolved") == {"count": 4}
    assert figures("backlog") == {"count": 1}  # F
    # Business time changes no count.
    assert figures("opened", business=True) == {"count": 6}


def test_reopen_rate_and_fcr_of_the_week(desk):
    # Resolved A, B, C, D; D was reopened within 7 days: 1 / 4.
    assert figures("reopen_rate") == {"numerator": 1, "denominator": 4, "value": 0.25}
    # Eligible (resolved, not cancelled, not event-made): A, B, C, D. Only B, an email
    # resolved 40 business minutes after it came, was resolved at the first contact: A and
    # C (calls) took 2 h and 8 h, so somebody called back; D was put on hold.
    assert figures("fcr") == {"numerator": 1, "denominator": 4, "value": 0.25}
    assert fact(desk["B"]).fcr is True
    assert [fact(desk[name]).fcr for name in "ACD"] == [False, False, False]


def test_grouping_gives_labelled_rows(desk, team, network):
    # Opened per week (weeks start on Monday): C opened on Monday 30 March in London, which
    # is still Sunday 29 March in UTC: it belongs to the second week.
    assert rows("opened", "week") == [
        ("Week of 23 Mar 2026", {"count": 5}),
        ("Week of 30 Mar 2026", {"count": 1}),
    ]
    assert rows("resolved", "week") == [
        ("Week of 23 Mar 2026", {"count": 2}),  # A, D
        ("Week of 30 Mar 2026", {"count": 2}),  # B, C
    ]
    # MTTR per team: Service Desk A 7 200 and B 223 800 → mean 115 500, median the same,
    # p90 7 200 + 0.9 × 216 600 = 202 140; Network C 28 800 and D 158 400 → mean 93 600,
    # p90 28 800 + 0.9 × 129 600 = 145 440.
    assert rows("mttr", "team") == [
        (
            "Service Desk",
            pytest.approx({"count": 2, "mean": 115_500, "median": 115_500, "p90": 202_140}),
        ),
        ("Network", pytest.approx({"count": 2, "mean": 93_600, "median": 93_600, "p90": 145_440})),
    ]
    # MTTR per priority: P3 A 7 200 and D 158 400 (mean 82 800); P4 C 28 800; P5 B 223 800.
    by_priority = rows("mttr", "priority")
    assert [(label, values["count"], values["mean"]) for label, values in by_priority] == [
        ("P3 - Moderate", 2, pytest.approx(82_800)),
        ("P4 - Low", 1, pytest.approx(28_800)),
        ("P5 - Planning", 1, pytest.approx(223_800)),
    ]
    # Business MTTR per priority: P3 (7 200 + 10 800) / 2 = 9 000; P4 1 200; P5 2 400.
    assert [v["mean"] for _, v in rows("mttr", "priority", business=True)] == pytest.approx(
        [9_000, 1_200, 2_400]
    )
    # Opened per record type, every type: six incidents, the item and its request.
    assert rows("opened", "record_type", record_type="") == [
        ("Incident", {"count": 6}),
        ("Requested item", {"count": 1}),
        ("Request", {"count": 1}),
    ]
    # MTTR per record type in business time: incidents 5 400 (above); the item 16 200 on
    # office hours; the request, without a clock, 70 200.
    by_type = rows("mttr", "record_type", business=True, record_type="")
    assert [(label, values["mean"]) for label, values in by_type] == [
        ("Incident", pytest.approx(5_400)),
        ("Requested item", pytest.approx(16_200)),
        ("Request", pytest.approx(70_200)),
    ]
    # The records behind one group's number.
    narrowed = Filters(**MARCH, record_type="incident", group_by="team").narrow(str(network.pk))
    assert {f.number for f in metric("mttr").records(narrowed)} == {
        desk["C"].number,
        desk["D"].number,
    }


def test_an_agent_reporting_for_themselves_is_not_their_own_first_response(
    clock, policies, team, desk_agent
):
    colleague = UserFactory(roles=[Role.AGENT])
    team.members.add(colleague)
    # Mon 23 Mar: the agent reports their own laptop at 10:00 and adds a public comment at
    # 10:05 (their comment is the caller's); a colleague answers at 10:25: 25 min = 1 500 s.
    clock.at(2026, 3, 23, 10, 0)
    mine = open_incident(desk_agent, desk_agent, team, channel="portal")
    clock.at(2026, 3, 23, 10, 5)
    incidents.incident_comment(actor=desk_agent, incident=mine, body="It still beeps")
    clock.at(2026, 3, 23, 10, 25)
    incidents.incident_comment(actor=colleague, incident=mine, body="Bring it to the desk")
    clock.deliver()
    assert (fact(mine).response_seconds, fact(mine).response_business_seconds) == (1500, 1500)
