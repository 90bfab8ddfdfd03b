"""The one-time link in the approval mail: looking does not decide, pressing does, once."""

import re

import pytest
from django.urls import reverse

from opsdesk.approvals.models import ApprovalRequest, ApprovalToken
from opsdesk.approvals.services import approval_request_issue_tokens, approval_start
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.notifications.models import Delivery
from tests.approvals.conftest import make_scheme

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(order, desk_agent, approvers):
    approval = approval_start(
        subject=order,
        scheme=make_scheme({"from_users": approvers[:1]}),
        answers={"laptop_model": "Pro 14"},
        requested_for=None,
        actor=desk_agent,
    )
    return ApprovalRequest.objects.get(run__approval=approval)


def link_for(request):
    return reverse(
        "approvals:link", kwargs={"token": approval_request_issue_tokens(request=request).link}
    )


def test_the_approval_mail_carries_a_working_link_and_only_its_hash_is_stored(
    pending, order, approvers
):
    outbox_deliver_due()
    (mail,) = Delivery.objects.filter(address=approvers[0].email)
    assert mail.event == "approval_requested"
    assert order.number in mail.subject and "Pro 14" in mail.body_text
    assert "reply to this mail with the word approve or reject" in mail.body_text.lower()
    token = re.search(r"/approvals/decide/([\w-]+)/", mail.body_text).group(1)
    assert not ApprovalToken.objects.filter(token_hash=token).exists()
    assert ApprovalToken.objects.filter(request=pending, kind="link").count() == 1


def test_get_shows_the_decision_without_making_it(client, pending, order):
    page = client.get(link_for(pending))
    assert page.status_code == 200
    body = page.content.decode()
    assert order.number in body and "Approve" in body and "Laptop model" in body
    pending.refresh_from_db()
    assert pending.state == "pending"


def test_post_decides_and_the_link_then_dies(client, pending):
    url = link_for(pending)
    done = client.post(url, {"decision": "reject", "comment": "Use the spare pool"})
    assert done.status_code == 200 and "cannot be used again" in done.content.decode()
    pending.refresh_from_db()
    assert (pending.state, pending.decided_via, pending.comment) == (
        "rejected",
        "link",
        "Use the spare pool",
    )
    for again in (client.get(url), client.post(url, {"decision": "approve"})):
        assert again.status_code == 410
        assert "already used" in again.content.decode()
    pending.refresh_from_db()
    assert pending.state == "rejected"


def test_a_decision_in_the_inbox_spends_the_link_too(client, pending, approvers):
    url = link_for(pending)
    client.force_login(approvers[0])
    client.post(reverse("approvals:decide", args=[pending.pk]), {"decision": "approve"})
    client.logout()
    assert client.get(url).status_code == 410


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43, "a" * 300])
def test_an_unknown_token_is_not_found(client, pending, token):
    assert client.get(reverse("approvals:link", kwargs={"token": token})).status_code == 404
    assert (
        client.post(
            reverse("approvals:link", kwargs={"token": token}), {"decision": "approve"}
        ).status_code
        == 404
    )
    pending.refresh_from_db()
    assert pending.state == "pending"


def test_a_post_without_a_decision_shows_the_form_again(client, pending):
    page = client.post(link_for(pending), {"decision": "maybe"})
    assert page.status_code == 200 and 'data-testid="form-error"' in page.content.decode()
    pending.refresh_from_db()
    assert pending.state == "pending"
