"""The whole story without a browser: a requester orders a laptop for a new colleague, the
colleague's manager approves by replying to the approval mail (through the real IMAP server),
three teams complete their parallel tasks, and the request is fulfilled, each step as the
system where no person acted."""

from decimal import Decimal

import pytest

from opsdesk.approvals.models import ApprovalRequest
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.testing.peers import peer_marker
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.task import tasks_of
from opsdesk.notifications.models import Delivery
from opsdesk.service_requests import services
from opsdesk.service_requests.models import RequestItem, ServiceRequest
from opsdesk.service_requests.testing import CatalogItemFactory, PlanStepFactory, manager_approval
from opsdesk.servicedesk.inbound import imap
from tests.servicedesk import imap_server
from tests.servicedesk.imap_fixtures import deliver, imap_mailbox, reply, server

pytestmark = pytest.mark.django_db
needs_dovecot = peer_marker("Dovecot", imap_server.available() or None)
# Fixtures shared with the other mail tests, used here by name.
__all__ = ["imap_mailbox", "server"]


@pytest.fixture
def laptop():
    teams = {n: TeamFactory(name=n) for n in ("Service Desk", "Identity & Access", "Network")}
    item = CatalogItemFactory(
        name="New laptop",
        slug="new-laptop",
        owner_team=teams["Service Desk"],
        needs_approval=True,
        approval_scheme=manager_approval(),
        cost=Decimal("1250"),
    )
    accounts = PlanStepFactory(item=item, name="Accounts", team=teams["Identity & Access"])
    for name, team in (
        ("Build the laptop", "Service Desk"),
        ("Network port", "Network"),
        ("VPN profile", "Identity & Access"),
    ):
        PlanStepFactory(item=item, name=name, team=teams[team], order=20, after=[accounts])
    return item, teams


@needs_dovecot
def test_a_laptop_for_a_new_colleague_approved_by_mail_reply(server, imap_mailbox, laptop):
    item, teams = laptop
    manager = UserFactory(display_name="Jordan Head", email="jordan@example.com")
    newcomer = UserFactory(display_name="Nina Novak", manager=manager)
    riley = UserFactory(roles=[Role.REQUESTER], display_name="Riley Reed", manager=manager)
    request = services.request_submit(actor=riley, lines=[(item, {}, 1)], requested_for=newcomer)
    ritm = request.items.get()
    assert ritm.state == "awaiting_approval"
    outbox_deliver_due()
    mail = Delivery.objects.get(address="jordan@example.com", event="approval_requested")
    deliver(server, reply(mail, sender="Jordan Head <jordan@example.com>", body="approve, welcome"))
    imap.mailboxes_poll()
    ask = ApprovalRequest.objects.get(approver=manager)
    assert (ask.state, ask.decided_via) == ("approved", "mail")
    ritm.refresh_from_db()
    assert ritm.state == "in_fulfilment" and ritm.approved_at is not None
    worker = UserFactory(roles=[Role.AGENT])
    for team in teams.values():
        team.members.add(worker)

    def complete(task):
        tickets.ticket_transition(actor=worker, record=task, action="complete", reason="Done.")
        outbox_deliver_due()

    complete(tasks_of(ritm).get())
    parallel = list(tasks_of(ritm))[1:]
    assert sorted(t.assignment_group.name for t in parallel) == [
        "Identity & Access",
        "Network",
        "Service Desk",
    ]
    for task in parallel:
        complete(task)
    assert RequestItem.objects.get(pk=ritm.pk).state == "fulfilled"
    assert ServiceRequest.objects.get(pk=request.pk).state == "fulfilled"
