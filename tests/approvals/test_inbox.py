"""My approvals: who may open it, what it shows, deciding there."""

import pytest
from django.urls import reverse

from opsdesk.approvals.models import ApprovalRequest
from opsdesk.approvals.services import approval_start
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from tests.approvals.conftest import make_scheme, open_work_order

pytestmark = pytest.mark.django_db

INBOX = reverse("approvals:inbox")


def ask(order, actor, people, **answers):
    return approval_start(
        subject=order,
        scheme=make_scheme({"rule": "all", "from_users": people}),
        answers=answers,
        requested_for=None,
        actor=actor,
    )


def test_an_approver_without_requests_sees_a_helpful_empty_state(client, approvers):
    client.force_login(approvers[0])
    page = client.get(INBOX)
    assert page.status_code == 200 and 'data-testid="empty-state"' in page.content.decode()


def test_someone_with_a_pending_request_may_open_it_without_the_role(client, order, desk_agent):
    plain = UserFactory(roles=[Role.REQUESTER])
    client.force_login(plain)
    assert client.get(INBOX).status_code == 403
    ask(order, desk_agent, [plain])
    assert client.get(INBOX).status_code == 200


def test_anonymous_visitors_sign_in_first(client):
    assert client.get(INBOX).status_code == 302


def test_pending_first_with_number_summary_requester_and_answers(
    client, desk_agent, approvers, requester_with_manager
):
    me = approvers[0]
    first = open_work_order(desk_agent, requester_with_manager, short_description="Old one")
    ask(first, desk_agent, [me])
    client.force_login(me)
    client.post(
        reverse("approvals:decide", args=[ApprovalRequest.objects.get(approver=me).pk]),
        {"decision": "approve"},
    )
    second = open_work_order(desk_agent, requester_with_manager, short_description="Monitor")
    ask(second, desk_agent, [me], monitor_size='27"')
    body = client.get(INBOX).content.decode()
    assert body.index("Monitor") < body.index("Old one")
    assert second.number in body and str(requester_with_manager) in body
    assert "Monitor size" in body and "27&quot;" in body


def test_approving_with_a_comment_confirms_it(client, order, desk_agent, approvers):
    approval = ask(order, desk_agent, approvers[:1])
    request = ApprovalRequest.objects.get(run__approval=approval)
    client.force_login(approvers[0])
    page = client.post(
        reverse("approvals:decide", args=[request.pk]),
        {"decision": "approve", "comment": "Fine for the new starter"},
        follow=True,
    )
    assert f"You approved {order.number}." in page.content.decode()
    request.refresh_from_db()
    assert (request.state, request.comment, request.decided_via) == (
        "approved",
        "Fine for the new starter",
        "inbox",
    )


def test_someone_elses_request_is_not_found_and_stays_pending(client, order, desk_agent, approvers):
    approval = ask(order, desk_agent, approvers[:1])
    request = ApprovalRequest.objects.get(run__approval=approval)
    client.force_login(approvers[1])
    response = client.post(reverse("approvals:decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.state == "pending"


def test_a_second_decision_is_refused_with_a_message(client, order, desk_agent, approvers):
    approval = ask(order, desk_agent, approvers[:1])
    request = ApprovalRequest.objects.get(run__approval=approval)
    client.force_login(approvers[0])
    url = reverse("approvals:decide", args=[request.pk])
    client.post(url, {"decision": "approve"})
    page = client.post(url, {"decision": "reject"}, follow=True)
    assert "already decided" in page.content.decode()


def test_the_inbox_pages(client, desk_agent, approvers, requester_with_manager):
    me = approvers[0]
    for n in range(23):
        ask(
            open_work_order(desk_agent, requester_with_manager, short_description=f"Item {n}"),
            desk_agent,
            [me],
        )
    client.force_login(me)
    first = client.get(INBOX).content.decode()
    assert "Page 1 of 2" in first and first.count('data-testid="approval-row"') == 20
    second = client.get(INBOX, {"page": 2}).content.decode()
    assert second.count('data-testid="approval-row"') == 3


def test_an_approver_delegates_while_away_and_ends_it(db):
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from opsdesk.approvals.models import Delegation
    from opsdesk.core.roles import Role
    from opsdesk.core.testing.factories import UserFactory

    morgan = UserFactory(roles=[Role.APPROVER], display_name="Morgan Meyer")
    UserFactory(username="sasha", display_name="Sasha Stone", email="sasha@example.com")
    client = Client()
    client.force_login(morgan)
    today = timezone.localdate()
    bad = client.post(
        "/approvals/delegations/",
        {"delegate": "sasha", "starts_on": today, "ends_on": today - timedelta(days=1)},
    )
    assert "This is before the first day." in bad.content.decode()
    assert not Delegation.objects.exists()
    done = client.post(
        "/approvals/delegations/",
        {"delegate": "sasha", "starts_on": today, "ends_on": today + timedelta(days=7)},
        follow=True,
    )
    assert "Sasha Stone decides your approvals" in done.content.decode()
    delegation = Delegation.objects.get()
    client.post(f"/approvals/delegations/{delegation.pk}/end/")
    delegation.refresh_from_db()
    assert delegation.ends_on == today
    requester = UserFactory(roles=[Role.REQUESTER])
    client.force_login(requester)
    assert client.get("/approvals/delegations/").status_code == 403
