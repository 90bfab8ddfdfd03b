"""Administrators configure schemes in the admin; the worker's sweep acts as the system."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.approvals import tasks
from opsdesk.approvals.models import ApprovalStageRun
from opsdesk.approvals.services import approval_start
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import AuditEntry
from opsdesk.core.testing.factories import admin
from tests.approvals.conftest import make_scheme

pytestmark = pytest.mark.django_db


def test_the_admin_lists_and_edits_schemes_with_their_stages(client):
    scheme = make_scheme({"name": "Line manager", "from_manager": True}, name="Hardware")
    client.force_login(admin(is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:approvals_approvalscheme_changelist"))
    assert listing.status_code == 200 and "Hardware" in listing.content.decode()
    edit = client.get(reverse("admin:approvals_approvalscheme_change", args=[scheme.pk]))
    assert edit.status_code == 200 and "Line manager" in edit.content.decode()
    assert client.get(reverse("admin:approvals_approvalscheme_add")).status_code == 200
    assert client.get(reverse("admin:approvals_delegation_add")).status_code == 200


def test_the_periodic_sweep_runs_as_the_worker(order, desk_agent, approvers):
    approval = approval_start(
        subject=order,
        scheme=make_scheme(
            {"from_users": approvers[:1], "timeout_hours": 1, "timeout_action": "reject"}
        ),
        answers={},
        requested_for=None,
        actor=desk_agent,
    )
    # The stage was asked two hours ago: its one-hour timeout has passed.
    ApprovalStageRun.objects.filter(approval=approval).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    tasks.approvals_sweep.call_local()
    approval.refresh_from_db()
    assert approval.state == "rejected"
    entry = AuditEntry.objects.get(action="approval.rejected")
    assert entry.actor is None and entry.source == "worker"


def test_answers_that_cannot_be_stored_are_refused(order, desk_agent, approvers):
    with pytest.raises(ValidationFailed) as refused:
        approval_start(
            subject=order,
            scheme=make_scheme({"from_users": approvers[:1]}),
            answers={"when": object()},
            requested_for=None,
            actor=desk_agent,
        )
    assert "answers" in refused.value.fields
