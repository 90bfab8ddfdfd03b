"""Standard requests run without a person: a signed webhook to the team's automation (a real
HTTP receiver here), retried, falling back to the team; the built-in "add to a team"."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.core.models import TicketHistory
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.factories import TeamFactory
from opsdesk.core.tickets.task import tasks_of
from opsdesk.service_requests import services
from opsdesk.service_requests.models import ItemTask, RequestItem
from opsdesk.service_requests.testing import CatalogItemFactory, PlanStepFactory
from tests.notifications.servers import HookReceiver

pytestmark = pytest.mark.django_db
SECRET = "identity-team-secret"


@pytest.fixture
def receiver(settings):
    settings.OPSDESK_WEBHOOK_ALLOW_LOOPBACK = True
    with HookReceiver() as hooks:
        yield hooks


@pytest.fixture
def password_reset(receiver):
    identity = TeamFactory(name="Identity & Access")
    item = CatalogItemFactory(
        name="Password reset", slug="password-reset", standard=True, owner_team=identity
    )
    PlanStepFactory(
        item=item,
        name="Reset the password",
        team=identity,
        action="webhook",
        webhook_url=receiver.url,
        webhook_secret=SECRET,
    )
    return item


def test_a_password_reset_runs_without_a_person(caller, password_reset, receiver):
    request = services.request_submit(actor=caller, lines=[(password_reset, {}, 1)])
    outbox_deliver_due()
    (call,) = receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), call["body"], hashlib.sha256).hexdigest()
    assert call["headers"]["X-Opsdesk-Signature"] == expected
    assert call["json"]["requested_for"]["username"] == caller.username
    assert call["json"]["step"] == "Reset the password"
    outbox_deliver_due()  # the task's completion moves the plan on
    item = RequestItem.objects.get(request=request)
    assert item.state == "fulfilled"
    task = tasks_of(item).get()
    assert task.state == "closed_complete" and "Done by automation" in task.work_notes_summary
    assert ItemTask.objects.get(task=task).automation == "succeeded"
    # Nobody but the requester did anything: every other move was the system's.
    people = set(TicketHistory.objects.exclude(change="opened").values_list("actor_id", flat=True))
    assert people == {None}
    assert json.loads(call["body"])["item"] == item.number


def test_a_failing_automation_is_retried_then_handed_to_the_team(
    caller, password_reset, receiver, settings
):
    settings.OPSDESK_AUTOMATION_ATTEMPTS = 3
    receiver.statuses = [503, 503, 503]
    request = services.request_submit(actor=caller, lines=[(password_reset, {}, 1)])
    later = timezone.now()
    for _ in range(3):
        later += timedelta(hours=1)
        outbox_deliver_due(now=later)
    assert len(receiver.requests) == 3
    item = RequestItem.objects.get(request=request)
    task = tasks_of(item).get()
    row = ItemTask.objects.get(task=task)
    assert row.automation == "failed" and "HTTP 503" in row.automation_result
    assert task.state == "open" and task.assignment_group.name == "Identity & Access"
    assert item.state == "in_fulfilment"


def test_a_retry_that_succeeds_completes_the_task(caller, password_reset, receiver):
    receiver.statuses = [500, 200]
    request = services.request_submit(actor=caller, lines=[(password_reset, {}, 1)])
    outbox_deliver_due()
    outbox_deliver_due(now=timezone.now() + timedelta(minutes=5))
    outbox_deliver_due(now=timezone.now() + timedelta(minutes=10))
    assert RequestItem.objects.get(request=request).state == "fulfilled"


def test_the_built_in_action_adds_the_person_to_a_team(agent_user):
    desk = TeamFactory(name="Service Desk")
    item = CatalogItemFactory(slug="join-desk", standard=True, owner_team=desk)
    PlanStepFactory(
        item=item, name="Add to the desk", team=desk, action="add_to_team", target_team=desk
    )
    request = services.request_submit(actor=agent_user, lines=[(item, {}, 1)])
    outbox_deliver_due()
    assert desk.members.filter(pk=agent_user.pk).exists()
    assert RequestItem.objects.get(request=request).state == "fulfilled"
