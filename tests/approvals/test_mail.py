"""Deciding by replying to the approval mail, end to end through a real IMAP server: the
reply's subject token names the request, its first word is the decision, its sender must be
the approver (or their delegate). Anything else decides nothing and is kept with the reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.approvals.models import ApprovalRequest
from opsdesk.approvals.services import approval_start, delegation_create, read_mail_decision
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.peers import peer_marker
from opsdesk.incidents.models import Incident
from opsdesk.notifications.models import Delivery
from opsdesk.servicedesk.inbound import imap
from opsdesk.servicedesk.inbound.services import mail_ingest
from opsdesk.servicedesk.models import Mailbox, UnprocessedMail
from tests.approvals.conftest import make_scheme
from tests.servicedesk import imap_server
from tests.servicedesk.imap_fixtures import deliver, imap_mailbox, reply, server
from tests.servicedesk.mail import message, raw

# Fixtures shared with the other mail tests, used here by name.
__all__ = ["imap_mailbox", "server"]

pytestmark = pytest.mark.django_db

needs_dovecot = peer_marker("Dovecot", imap_server.available() or None)


@pytest.fixture
def asked(order, desk_agent, approvers):
    """An approval waiting for approver1, and the mail they were sent."""
    approval = approval_start(
        subject=order,
        scheme=make_scheme({"from_users": approvers[:1]}),
        answers={},
        requested_for=None,
        actor=desk_agent,
    )
    outbox_deliver_due()
    mail = Delivery.objects.get(address=approvers[0].email)
    return ApprovalRequest.objects.get(run__approval=approval), mail


@needs_dovecot
def test_replying_approve_decides_with_the_rest_as_comment(server, imap_mailbox, asked, approvers):
    request, mail = asked
    assert mail.subject.startswith("[APR:")
    deliver(
        server,
        reply(
            mail,
            sender=f"A One <{approvers[0].email}>",
            body="Approve. The old laptop is out of warranty.",
        ),
    )
    imap.mailboxes_poll()
    request.refresh_from_db()
    assert (request.state, request.decided_via, request.comment) == (
        "approved",
        "mail",
        "The old laptop is out of warranty.",
    )
    assert request.run.approval.state == "approved"
    assert Incident.objects.count() == 0  # an approval reply never becomes a ticket
    # The same reply again (or any reply to that mail) decides nothing more.
    deliver(server, reply(mail, sender=approvers[0].email, body="reject"))
    imap.mailboxes_poll()
    request.refresh_from_db()
    assert request.state == "approved"
    kept = UnprocessedMail.objects.get()
    assert "already decided" in kept.reason


@needs_dovecot
def test_a_forged_token_or_a_wrong_sender_decides_nothing(server, imap_mailbox, asked, approvers):
    request, mail = asked
    forged = message(
        sender=approvers[0].email, subject="Re: [APR:forgedforgedforged0123] ok", body="approve"
    )
    stranger = reply(mail, sender="mallory@example.com", body="approve")
    colleague = reply(mail, sender=approvers[1].email, body="approve")
    deliver(server, forged, stranger, colleague)
    imap.mailboxes_poll()
    request.refresh_from_db()
    assert request.state == "pending"
    reasons = sorted(UnprocessedMail.objects.values_list("reason", flat=True))
    # Nobody is answered: a forged or foreign reply must not draw mail to anyone.
    outbox_deliver_due()
    assert not Delivery.objects.filter(event="approval_reply_refused").exists()
    assert reasons == sorted(
        [
            "Approval reply not applied: The approval token in the subject is not known.",
            "Approval reply not applied: mallory@example.com is not the approver of this request.",
            f"Approval reply not applied: {approvers[1].email} is not the approver of this "
            "request.",
        ]
    )
    assert Incident.objects.count() == 0


def test_an_active_delegate_decides_by_mail(mailbox_plain, asked, approvers):
    request, mail = asked
    today = timezone.localdate()
    delegation_create(
        actor=approvers[0],
        delegator=approvers[0],
        delegate=approvers[2],
        starts_on=today,
        ends_on=today + timedelta(days=1),
    )
    result = mail_ingest(
        raw=raw(reply(mail, sender=approvers[2].email, body="REJECT too much")),
        mailbox=mailbox_plain,
    )
    assert result.outcome == "approval"
    request.refresh_from_db()
    assert (request.state, request.decided_by, request.comment) == (
        "rejected",
        approvers[2],
        "too much",
    )


def test_a_reply_without_a_decision_word_is_kept_and_answered(mailbox_plain, asked, approvers):
    request, mail = asked
    result = mail_ingest(
        raw=raw(reply(mail, sender=approvers[0].email, body="What is this?")), mailbox=mailbox_plain
    )
    assert result.outcome == "unprocessed" and "approve or reject" in result.reason
    request.refresh_from_db()
    assert request.state == "pending"
    outbox_deliver_due()
    answer = Delivery.objects.get(event="approval_reply_refused")
    assert answer.address == approvers[0].email
    assert "must start with the word approve or reject" in answer.body_text


# reply text -> (decision, comment)
WORDS = [
    ("approve", ("approve", "")),
    ("Approve, fine by me", ("approve", "fine by me")),
    ("APPROVED\nsee notes", ("approve", "see notes")),
    ("  reject  budget is spent", ("reject", "budget is spent")),
    ("Rejected.", ("reject", "")),
    ("I approve", ("", "approve")),
    ("", ("", "")),
]


@pytest.mark.parametrize("text,expected", WORDS)
def test_the_first_word_decides(text, expected):
    assert read_mail_decision(text) == expected


def test_the_requester_hears_the_rejection_and_its_reason(
    asked, approvers, requester_with_manager, mailbox_plain
):
    request, mail = asked
    mail_ingest(
        raw=raw(reply(mail, sender=approvers[0].email, body="reject Not this year")),
        mailbox=mailbox_plain,
    )
    outbox_deliver_due()
    told = Delivery.objects.get(address=requester_with_manager.email, event="approval_rejected")
    assert "Reason: Not this year" in told.body_text
    assert told.subject.startswith(f"[{request.run.approval.subject.number}]")


@pytest.fixture
def mailbox_plain(db):
    return Mailbox.objects.create(name="desk", address="servicedesk@example.com")
