"""A record type declared through the registry alone gets the whole ticket platform.

``tests.ticketapp`` defines work orders (WO...) with a model, a workflow and a registry entry,
importing nothing from ``opsdesk.incidents``: numbering, assignment, watching, comments, the
transition step, typed history, mail threading, search, SLA clocks, the portal listing and
page, surveys, and the workspace queue with its bulk actions and saved filters all follow.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import OutboxEvent, TicketHistory
from opsdesk.core.roles import Role
from opsdesk.core.search import find_by_number, search
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_by_number, ticket_type
from opsdesk.core.timeline import timeline_for
from opsdesk.servicedesk.inbound.services import mail_ingest
from opsdesk.servicedesk.models import Mailbox
from opsdesk.sla.models import SlaTimer
from tests.servicedesk.mail import message, raw
from tests.sla.factories import CalendarFactory, PolicyFactory
from tests.ticketapp.models import WorkOrder

pytestmark = pytest.mark.django_db


def open_work_order(actor, caller, **values):
    values = {"short_description": "Replace the badge reader at door 3", "caller": caller, **values}
    return tickets.ticket_create(ticket_type("work_order"), actor=actor, values=values)


def facts(topic):
    return list(OutboxEvent.objects.filter(topic=topic).order_by("id"))


def history(record, change=None):
    rows = TicketHistory.objects.filter(record_type="work_order", record_id=record.pk)
    if change:
        rows = rows.filter(change=change)
    return list(rows)


def test_numbers_come_from_the_registered_prefix(desk_agent, caller):
    first = open_work_order(desk_agent, caller)
    second = open_work_order(desk_agent, caller)
    assert first.number.startswith("WO") and first.number[2:].isdigit()
    assert int(second.number[2:]) == int(first.number[2:]) + 1
    assert first.state == "new"
    assert [row.change for row in history(first)] == ["opened"]
    assert ticket_by_number(first.number) == first


def test_assignment_writes_history_timeline_and_a_fact_naming_the_actor(desk_agent, team, caller):
    order = open_work_order(desk_agent, caller)
    order = tickets.ticket_assign(
        actor=desk_agent, record=order, assignment_group=team, assignee=desk_agent
    )
    assert (order.assignment_group, order.assignee) == (team, desk_agent)
    assert order.first_assigned_at is not None
    group_row = history(order, "assignment_group")[0]
    assert (group_row.to_value, group_row.group_id, group_row.actor) == (
        str(team.pk),
        team.pk,
        desk_agent,
    )
    assert history(order, "assignee")[0].assignee == desk_agent
    bodies = [e.body for e in timeline_for(record=order)]
    assert f"Assigned to {team} (was —)." in bodies
    (fact,) = facts("work_order.assigned")
    assert fact.payload["actor_id"] == desk_agent.pk
    assert fact.payload["work_order_id"] == order.pk


def test_an_assignee_outside_the_group_is_refused(desk_agent, team, caller):
    order = open_work_order(desk_agent, caller)
    outsider = UserFactory(roles=[Role.AGENT])
    with pytest.raises(ValidationFailed) as refused:
        tickets.ticket_assign(
            actor=desk_agent, record=order, assignment_group=team, assignee=outsider
        )
    assert "assignee" in refused.value.fields
    order.refresh_from_db()
    assert order.assignment_group is None


def test_watching_opens_the_ticket_to_a_requester(desk_agent, caller):
    neighbour = UserFactory(roles=[Role.REQUESTER])
    order = open_work_order(desk_agent, caller)
    tt = ticket_type("work_order")
    assert not tt.visible_to(order, neighbour)
    assert order not in tt.visible(neighbour)
    tickets.ticket_watch(actor=desk_agent, record=order, user=neighbour)
    assert tt.visible_to(order, neighbour)
    assert order in tt.visible(neighbour)
    # A requester may not add someone else.
    with pytest.raises(NotPermitted):
        tickets.ticket_watch(actor=neighbour, record=order, user=UserFactory())


def test_the_first_public_reply_is_the_first_response_and_notes_stay_internal(desk_agent, caller):
    order = open_work_order(desk_agent, caller)
    tickets.ticket_work_note(actor=desk_agent, record=order, body="Parts ordered.")
    order.refresh_from_db()
    assert order.first_response_at is None
    tickets.ticket_comment(actor=desk_agent, record=order, body="We are on it.")
    order.refresh_from_db()
    assert order.first_response_at is not None
    assert len(history(order, "first_public_reply")) == 1
    public = [e.body for e in timeline_for(record=order, public_only=True)]
    assert "We are on it." in public and "Parts ordered." not in public
    with pytest.raises(NotPermitted):
        tickets.ticket_work_note(actor=caller, record=order, body="Let me in")
    commented = facts("work_order.commented")
    assert [f.payload["public"] for f in commented] == [False, True]


# Every move from every state, written out here and not read from the workflow under test.
MOVES = {
    ("new", "start"): "working",
    ("working", "wait"): "waiting",
    ("working", "finish"): "done",
    ("waiting", "resume"): "working",
    ("done", "close"): "closed",
}
STATES = ["new", "working", "waiting", "done", "closed"]
ACTIONS = ["start", "wait", "resume", "finish", "close"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_move_from_every_state(desk_agent, team, caller, state, action):
    order = open_work_order(desk_agent, caller, assignment_group=team)
    WorkOrder.objects.filter(pk=order.pk).update(state=state)
    order.refresh_from_db()
    expected = MOVES.get((state, action))
    if expected is None:
        with pytest.raises(TransitionRefused):
            tickets.ticket_transition(actor=desk_agent, record=order, action=action)
        order.refresh_from_db()
        assert order.state == state
        assert not history(order, "state")
        return
    moved = tickets.ticket_transition(actor=desk_agent, record=order, action=action)
    assert moved.state == expected
    (row,) = history(moved, "state")
    assert (row.from_value, row.to_value, row.actor) == (state, expected, desk_agent)
    (changed,) = facts("work_order.state_changed")
    assert changed.payload["actor_id"] == desk_agent.pk
    assert changed.payload["from_state"] == state and changed.payload["to_state"] == expected


def test_a_guard_refuses_with_a_field_message(desk_agent, caller):
    order = open_work_order(desk_agent, caller)
    with pytest.raises(TransitionRefused) as refused:
        tickets.ticket_transition(actor=desk_agent, record=order, action="start")
    assert refused.value.fields == {"assignment_group": ["Assign a group first."]}


def test_finishing_is_the_resolved_milestone_and_stops_the_clocks(desk_agent, team, caller):
    calendar = CalendarFactory(name="24x7", always_open=True, working_hours={})
    PolicyFactory(
        name="Facilities",
        record_type="work_order",
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=8),
        response_calendar=calendar,
        resolution_calendar=calendar,
        pause_states=["waiting"],
    )
    order = open_work_order(desk_agent, caller, assignment_group=team)
    clocks = SlaTimer.objects.filter(record_type="work_order", object_id=str(order.pk))
    assert {t.kind for t in clocks} >= {"response", "resolution"}
    order = tickets.ticket_transition(actor=desk_agent, record=order, action="start")
    order = tickets.ticket_transition(actor=desk_agent, record=order, action="wait")
    resolution = clocks.get(kind="resolution")
    assert resolution.state == "paused"
    assert history(order, "sla_paused")
    order = tickets.ticket_transition(actor=desk_agent, record=order, action="resume")
    assert history(order, "sla_resumed")
    order = tickets.ticket_transition(actor=desk_agent, record=order, action="finish")
    assert order.resolved_at is not None
    assert len(history(order, "resolved")) == 1
    assert {t.state for t in clocks.filter(kind="resolution")} == {"met"}
    assert facts("work_order.finished")


def test_acknowledging_counts_once(desk_agent, caller):
    order = open_work_order(desk_agent, caller)
    first = tickets.ticket_acknowledge(actor=desk_agent, record=order)
    again = tickets.ticket_acknowledge(actor=desk_agent, record=order)
    assert first.acknowledged_now and not again.acknowledged_now
    assert first.first_response_at == first.acknowledged_at
    assert len(history(order, "acknowledged")) == 1
    with pytest.raises(NotPermitted):
        tickets.ticket_acknowledge(actor=caller, record=order)


def test_search_and_numbers_find_the_new_type(desk_agent, caller):
    order = open_work_order(desk_agent, caller, description="The reader blinks red.")
    hits = search("badge reader", viewer=desk_agent)
    assert [(h.record_type.key, h.pk) for h in hits] == [("work_order", order.pk)]
    found = find_by_number(order.number.lower(), viewer=desk_agent)
    assert found is not None and found[1] == order
    stranger = UserFactory(roles=[Role.REQUESTER])
    assert search("badge reader", viewer=stranger) == []


def test_a_mail_reply_with_the_number_threads_into_the_ticket(desk_agent, caller, team):
    mailbox = Mailbox.objects.create(
        name="desk", address="servicedesk@example.com", assignment_group=team
    )
    caller.email = "pat@example.com"
    caller.save()
    order = open_work_order(desk_agent, caller)
    reply = message(
        sender=f"Pat <{caller.email}>",
        subject=f"Re: [{order.number}] Replace the badge reader",
        body="It still does not open.",
    )
    result = mail_ingest(raw=raw(reply), mailbox=mailbox)
    assert result.outcome == "commented"
    assert result.incident == order
    comments = [e.body for e in timeline_for(record=order).filter(kind="comment")]
    assert any("It still does not open." in body for body in comments)


def test_the_new_type_is_in_my_work_by_its_label(client, desk_agent, team, caller):
    order = open_work_order(desk_agent, caller, assignment_group=team)
    client.force_login(desk_agent)
    page = client.get(reverse("servicedesk:my-work")).content.decode()
    assert order.number in page and "Work order" in page
    assert "work_order" not in page


def test_attaching_needs_a_ticket_the_person_may_see(desk_agent, caller, attachment_dir):
    order = open_work_order(desk_agent, caller)
    upload = SimpleUploadedFile("reader.txt", b"Serial 4471", content_type="text/plain")
    stored = tickets.ticket_attach(actor=caller, record=order, upload=upload)
    assert stored.original_name == "reader.txt" and stored.is_public
    stranger = UserFactory(roles=[Role.REQUESTER])
    with pytest.raises(NotPermitted):
        tickets.ticket_attach(
            actor=stranger, record=order, upload=SimpleUploadedFile("x.txt", b"x")
        )
    with pytest.raises(ValidationFailed):
        tickets.ticket_attach(
            actor=caller, record=order, upload=SimpleUploadedFile("y.txt", b"y"), internal=True
        )


def test_confidential_tickets_stay_with_their_group(desk_agent, team, caller):
    other_agent = UserFactory(roles=[Role.AGENT])
    TeamFactory(name="Facilities").members.add(other_agent)
    order = open_work_order(desk_agent, caller, assignment_group=team, confidential=True)
    tt = ticket_type("work_order")
    assert tt.visible_to(order, desk_agent) and order in tt.visible(desk_agent)
    assert not tt.visible_to(order, other_agent) and order not in tt.visible(other_agent)
    assert tt.visible_to(order, caller)


def test_the_assignee_of_a_new_type_is_mailed_with_its_number_and_page(desk_agent, team, caller):
    from opsdesk.core.outbox import outbox_deliver_due
    from opsdesk.notifications.models import Delivery

    lead = UserFactory(roles=[Role.AGENT], email="sam@example.com")
    team.members.add(lead)
    order = open_work_order(desk_agent, caller)
    tickets.ticket_assign(actor=desk_agent, record=order, assignment_group=team, assignee=lead)
    outbox_deliver_due()
    (mail,) = Delivery.objects.filter(address="sam@example.com")
    assert mail.subject.startswith(f"[{order.number}]")
    assert mail.record_number == order.number
    assert mail.url.endswith(f"#work-order-{order.pk}")
    # The one who assigned is not told of their own change.
    assert not Delivery.objects.filter(recipient=desk_agent).exists()


# --- the portal, surveys, the workspace queue and saved filters, from the registry alone ------
def test_the_caller_follows_the_new_type_on_the_portal(client, desk_agent, caller):
    order = open_work_order(desk_agent, caller, short_description="Door 3 badge reader")
    client.force_login(caller)
    page = client.get(reverse("servicedesk:tickets")).content.decode()
    portal_page = reverse("servicedesk:record", args=["work_order", order.pk])
    assert order.number in page and portal_page in page
    # Its type and its state by their labels, never the stored values.
    assert "Work order" in page and ">New<" in page and "work_order" not in page.split("?type=")[0]
    only_orders = client.get(reverse("servicedesk:tickets") + "?type=work_order").content.decode()
    assert order.number in only_orders
    only_incidents = client.get(reverse("servicedesk:tickets") + "?type=incident").content.decode()
    assert order.number not in only_incidents and "You have no incident tickets" in only_incidents
    home = client.get(reverse("servicedesk:home")).content.decode()
    assert order.number in home

    ticket = client.get(portal_page)
    assert ticket.status_code == 200 and "Door 3 badge reader" in ticket.content.decode()
    answer = client.post(
        reverse("servicedesk:record-comment", args=["work_order", order.pk]),
        {"body": "It beeps but stays shut."},
    )
    assert answer.status_code == 302
    comments = [e.body for e in timeline_for(record=order).filter(kind="comment")]
    assert comments == ["It beeps but stays shut."]
    empty = client.post(
        reverse("servicedesk:record-comment", args=["work_order", order.pk]), {"body": ""}
    )
    assert empty.status_code == 400


def test_someone_else_gets_not_found_for_the_portal_page(client, desk_agent, caller):
    order = open_work_order(desk_agent, caller)
    stranger = UserFactory(roles=[Role.REQUESTER])
    client.force_login(stranger)
    page = reverse("servicedesk:record", args=["work_order", order.pk])
    assert client.get(page).status_code == 404
    assert order.number not in client.get(reverse("servicedesk:tickets")).content.decode()
    # Tasks have no portal page: the portal does not offer them, whatever the id.
    assert client.get(reverse("servicedesk:record", args=["task", order.pk])).status_code == 404
    assert client.get(reverse("servicedesk:record", args=["nonsense", 1])).status_code == 404


def test_the_portal_lists_only_what_the_requester_may_open(client, desk_agent, team, caller):
    watcher = UserFactory(roles=[Role.REQUESTER])
    plain = open_work_order(desk_agent, caller, short_description="Plain")
    secret = open_work_order(desk_agent, caller, assignment_group=team, confidential=True)
    for order in (plain, secret):
        tickets.ticket_watch(actor=desk_agent, record=order, user=watcher)
    client.force_login(watcher)
    page = client.get(reverse("servicedesk:tickets")).content.decode()
    # Watching opens only tickets that are not confidential: the list offers no dead link.
    assert plain.number in page and secret.number not in page


def test_finishing_the_new_type_asks_its_caller_for_feedback_once(desk_agent, team, caller):
    from opsdesk.core.outbox import outbox_deliver_due
    from opsdesk.servicedesk.models import Survey

    order = open_work_order(desk_agent, caller, assignment_group=team)
    order = tickets.ticket_transition(actor=desk_agent, record=order, action="start")
    outbox_deliver_due()
    assert not Survey.objects.exists()  # working is not a survey state
    order = tickets.ticket_transition(actor=desk_agent, record=order, action="finish")
    outbox_deliver_due()
    survey = Survey.objects.get()
    assert (survey.record_type, survey.record_id, survey.number) == (
        "work_order",
        order.pk,
        order.number,
    )
    assert survey.caller == caller and survey.record == order
    (asked,) = facts("servicedesk.survey_requested")
    assert asked.payload["record_type"] == "work_order"
    assert asked.payload["work_order_id"] == order.pk
    tickets.ticket_transition(actor=desk_agent, record=order, action="close")
    outbox_deliver_due()
    assert Survey.objects.count() == 1


def queue_page(client, name="", query=""):
    args = ["work_order", name] if name else ["work_order"]
    url = reverse("core:queue" if name else "core:queue-default", args=args)
    return client.get(url + query)


def test_the_new_type_has_a_queue_with_its_own_tabs_and_labels(client, desk_agent, team, caller):
    waiting = open_work_order(
        desk_agent, caller, assignment_group=team, assignee=desk_agent, priority=2
    )
    waiting = tickets.ticket_transition(actor=desk_agent, record=waiting, action="start")
    tickets.ticket_transition(actor=desk_agent, record=waiting, action="wait")
    fresh = open_work_order(desk_agent, caller, short_description="Fix the lift")
    client.force_login(desk_agent)
    page = queue_page(client).content.decode()
    assert waiting.number in page and fresh.number in page
    # The registry's own queue is a tab beside the built-in ones.
    assert "Unassigned" in page and "Assigned to me" in page and "All open" in page
    assert "Waiting for parts" in page and ">waiting<" not in page
    unassigned = queue_page(client, "unassigned").content.decode()
    assert fresh.number in unassigned and waiting.number not in unassigned
    mine = queue_page(client, "mine").content.decode()
    assert waiting.number in mine and fresh.number not in mine
    assert queue_page(client, "nonsense").status_code == 404


@pytest.mark.parametrize(
    "query, shows_waiting, shows_fresh",
    [
        ("?state=waiting", True, False),
        ("?state=new", False, True),
        ("?priority=2", True, False),
        ("?assignment_group={team}", True, False),
        ("?q=lift", False, True),
        ("?assignee={agent}", False, False),
        ("?state=closed", False, False),
    ],
)
def test_the_queue_filters(client, desk_agent, team, caller, query, shows_waiting, shows_fresh):
    waiting = open_work_order(desk_agent, caller, assignment_group=team, priority=2)
    waiting = tickets.ticket_transition(actor=desk_agent, record=waiting, action="start")
    tickets.ticket_transition(actor=desk_agent, record=waiting, action="wait")
    fresh = open_work_order(desk_agent, caller, short_description="Fix the lift")
    client.force_login(desk_agent)
    page = queue_page(client, query=query.format(team=team.pk, agent=desk_agent.username))
    assert page.status_code == 200
    text = page.content.decode()
    assert (waiting.number in text) is shows_waiting
    assert (fresh.number in text) is shows_fresh


def test_the_queue_sorts_by_its_columns_and_pages(client, desk_agent, caller):
    orders = [open_work_order(desk_agent, caller, priority=p) for p in (4, 1, 3)]
    client.force_login(desk_agent)
    by_priority = queue_page(client, query="?sort=priority").content.decode()
    positions = [by_priority.index(o.number) for o in orders]
    assert positions[1] < positions[2] < positions[0]
    by_number = queue_page(client, query="?sort=number").content.decode()
    assert by_number.index(orders[0].number) < by_number.index(orders[2].number)
    # Column headers link to their sort and keep the filters.
    filtered = queue_page(client, query="?priority=1").content.decode()
    assert "?priority=1&amp;sort=number" in filtered
    bad = queue_page(client, query="?sort=nonsense&priority=9&page=abc")
    assert bad.status_code == 200


def test_bulk_assign_and_move_from_the_queue(client, desk_agent, team, caller):
    first = open_work_order(desk_agent, caller)
    second = open_work_order(desk_agent, caller)
    client.force_login(desk_agent)
    bulk = reverse("core:queue-bulk", args=["work_order"])
    back = reverse("core:queue-default", args=["work_order"])
    answer = client.post(
        bulk,
        {"records": [first.pk, second.pk], "assignment_group": team.name, "next": back},
        follow=True,
    )
    text = answer.content.decode()
    assert f"2 work orders changed: {first.number}, {second.number}." in text
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assignment_group == team and second.assignment_group == team
    assert history(first, "assignment_group")[-1].actor == desk_agent

    # "Start" moves them through the platform's transition step, each all or nothing.
    third = open_work_order(desk_agent, caller)  # no group: the guard refuses it
    answer = client.post(
        bulk, {"records": [first.pk, third.pk], "action": "start", "next": back}, follow=True
    )
    text = answer.content.decode()
    assert f"1 work order changed: {first.number}." in text
    assert f"{third.number} was not changed: Cannot start: Assign a group first." in text
    first.refresh_from_db()
    third.refresh_from_db()
    assert (first.state, third.state) == ("working", "new")

    nothing = client.post(bulk, {"records": [second.pk], "next": back}, follow=True)
    assert "Pick a group, an assignee or an action." in nothing.content.decode()
    unknown = client.post(bulk, {"records": [second.pk], "action": "explode"}, follow=True)
    assert "Nothing was changed." in unknown.content.decode()
    second.refresh_from_db()
    assert second.state == "new"


def test_requesters_are_refused_the_queue_and_its_actions(client, desk_agent, team, caller):
    order = open_work_order(desk_agent, caller)
    client.force_login(caller)
    assert queue_page(client).status_code == 403
    answer = client.post(
        reverse("core:queue-bulk", args=["work_order"]),
        {"records": [order.pk], "assignment_group": team.name},
    )
    assert answer.status_code == 403
    save = reverse("core:queue-saved-filter-save", args=["work_order", "open"])
    assert client.post(save, {"name": "Mine"}).status_code == 403
    order.refresh_from_db()
    assert order.assignment_group is None
    client.force_login(desk_agent)
    assert client.get(reverse("core:queue-default", args=["nonsense"])).status_code == 404


def test_a_saved_filter_of_the_new_type_round_trips(client, desk_agent, caller):
    from opsdesk.core.models import AuditEntry, SavedFilter

    urgent = open_work_order(desk_agent, caller, priority=1)
    calm = open_work_order(desk_agent, caller, priority=4)
    client.force_login(desk_agent)
    save = reverse("core:queue-saved-filter-save", args=["work_order", "unassigned"])
    answer = client.post(save, {"name": "Urgent doors", "query": "priority=1&page=3"})
    saved = SavedFilter.objects.get(owner=desk_agent)
    assert (saved.record_type, saved.queue) == ("work_order", "unassigned")
    assert saved.query == "priority=1"  # the page is not part of the filter
    target = reverse("core:queue", args=["work_order", "unassigned"]) + "?priority=1"
    assert answer["Location"] == target
    opened = client.get(target).content.decode()
    assert "Urgent doors" in opened and urgent.number in opened and calm.number not in opened
    # Kept by record type: the incident queue does not offer it, nor does another agent's page.
    incidents = client.get(reverse("incidents:queue", args=["open"])).content.decode()
    assert "Urgent doors" not in incidents
    other = UserFactory(roles=[Role.AGENT])
    client.force_login(other)
    assert "Urgent doors" not in queue_page(client).content.decode()
    delete = reverse("core:queue-saved-filter-delete", args=["work_order", saved.pk])
    assert client.post(delete).status_code == 404
    client.force_login(desk_agent)
    assert client.post(save, {"name": "  "}, follow=True).status_code == 200
    assert SavedFilter.objects.count() == 1
    client.post(delete)
    assert not SavedFilter.objects.exists()
    assert AuditEntry.objects.filter(object_id=str(saved.pk), action="savedfilter.deleted")


def test_the_queue_index_offers_every_record_type(client, desk_agent, caller):
    open_work_order(desk_agent, caller)
    client.force_login(desk_agent)
    page = client.get(reverse("core:queue-index")).content.decode()
    # A type without a queue page of its own gets the platform's; incidents keep theirs.
    assert reverse("core:queue", args=["work_order", "open"]) in page and "Work order" in page
    assert reverse("incidents:queue-default") in page and reverse("core:task-list") in page
    client.force_login(caller)
    assert client.get(reverse("core:queue-index")).status_code == 403
