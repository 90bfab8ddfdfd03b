"""The access demo tells its story: five applications with access of every risk, requests in
every state, a review under way for the reviewer sign-in, a request the duty rule refuses, a
leaver waiting to be processed and one who has left."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from opsdesk.access import demo as access_demo
from opsdesk.access import selectors, services
from opsdesk.access.models import (
    AccessPackage,
    AccessRequest,
    AccessRequestState,
    CampaignState,
    EndReason,
    Entitlement,
    Grant,
    GrantState,
    LifecycleEvent,
    ProvisioningStep,
    ReviewItem,
    Risk,
    SodViolation,
    StepState,
)
from opsdesk.approvals import demo as approvals_demo
from opsdesk.approvals.models import ApprovalRequest
from opsdesk.cmdb import demo as cmdb_demo
from opsdesk.core import demo as core_demo
from opsdesk.core.demo import DEMO_PASSWORD
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import User

pytestmark = pytest.mark.django_db


def _load(*modules) -> list[str]:
    """Each demo module in its own transaction, as ``opsdesk demo`` runs them."""
    lines: list[str] = []
    for module in modules:
        with transaction.atomic():
            module.load(progress=lines.append)
    return lines


def test_the_access_demo_tells_its_story(client):
    # Loading takes seconds, so one test checks the whole story on one load.
    lines = _load(core_demo, cmdb_demo, approvals_demo, access_demo)
    assert any("'reviewer'" in line for line in lines)
    _five_applications_with_access_of_every_risk()
    _requests_in_every_state_one_waiting_for_the_approver()
    _a_review_under_way_with_items_for_the_reviewer_sign_in()
    _riley_is_refused_payment_approval_with_the_rules_name(client)
    _a_migrated_conflict_waits_on_the_violations_page()
    _privileged_access_ends_within_the_month()
    before = (Grant.objects.count(), AccessRequest.objects.count(), User.objects.count())
    assert _load(access_demo) == ["13 entitlements already there"]
    assert (Grant.objects.count(), AccessRequest.objects.count(), User.objects.count()) == before
    _the_leaver_of_today_waits_for_an_access_manager(client)
    _the_colleague_who_left_last_week_holds_nothing()


def _five_applications_with_access_of_every_risk():
    entitlements = Entitlement.objects.select_related("application", "owner", "owner_team")
    assert {e.application.name for e in entitlements} == {
        "ERP – Finance & Logistics",
        "Payroll",
        "Remote access (VPN)",
        "Customer Support Portal",
        "Document Sharing",
    }
    assert {e.risk for e in entitlements} == set(Risk.values)
    assert all(e.owner.is_active and e.owner_team is not None for e in entitlements)
    privileged = [e for e in entitlements if e.risk == Risk.PRIVILEGED]
    assert privileged and all(e.max_duration_days for e in privileged)
    assert sum(e.needs_justification for e in entitlements) >= 2
    # Nothing reaches a directory in the demo: the owner teams do it by hand.
    assert not entitlements.filter(target__isnull=False).exists()


def _requests_in_every_state_one_waiting_for_the_approver():
    states = set(AccessRequest.objects.values_list("state", flat=True))
    assert {
        AccessRequestState.AWAITING_APPROVAL,
        AccessRequestState.PROVISIONING,
        AccessRequestState.GRANTED,
        AccessRequestState.REJECTED,
        AccessRequestState.CANCELLED,
    } <= states
    waiting = ApprovalRequest.objects.filter(state="pending").select_related("run__stage")
    by_person = {(r.approver.username, r.run.stage.name) for r in waiting}
    assert ("approver", "Manager") in by_person
    assert ("reviewer", "Entitlement owner") in by_person
    # The payroll officer's exception to the duty rule waits for the CIO, after two approvals.
    assert ("cio", access_demo.SOD_STAGE) in by_person
    # The approved request not yet granted waits for its owner team's hand.
    granting = AccessRequest.objects.get(state=AccessRequestState.PROVISIONING)
    step = ProvisioningStep.objects.get(grant__request=granting)
    assert step.state == StepState.MANUAL
    for name in ("approver", "reviewer", "requester"):
        assert check_password(DEMO_PASSWORD, User.objects.get(username=name).password)


def _a_review_under_way_with_items_for_the_reviewer_sign_in():
    reviewer = User.objects.get(username="reviewer")
    items = ReviewItem.objects.filter(campaign__state=CampaignState.RUNNING)
    assert items.filter(reviewer=reviewer).exclude(decision="").count() >= 3
    undecided = selectors.review_items_for(reviewer)
    assert undecided.count() >= 5
    assert all(i.grant.entitlement.application.name.startswith("ERP") for i in undecided)
    assert not items.filter(grant__holder=reviewer, reviewer=reviewer).exists()


def _riley_is_refused_payment_approval_with_the_rules_name(client):
    riley = User.objects.get(username="requester")
    package = AccessPackage.objects.get(slug="payment-approver")
    client.force_login(riley)
    offered = client.get(reverse("access:portal-packages"))
    assert offered.status_code == 200 and "Payment approver" in offered.content.decode()
    asked = AccessRequest.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.access_request_submit(
            actor=riley, package=package, justification="Month-end payment runs."
        )
    reason = refused.value.fields["__all__"][0]
    assert access_demo.VENDOR_RULE in reason and "Approve payments" in reason
    # The portal says the same where Riley asks.
    page = client.post(
        reverse("access:portal-order", args=[package.slug]),
        {"justification": "Month-end payment runs."},
    )
    assert page.status_code == 200 and access_demo.VENDOR_RULE in page.content.decode()
    assert AccessRequest.objects.count() == asked
    assert not Grant.objects.filter(holder=riley, entitlement__name="Approve payments").exists()


def _a_migrated_conflict_waits_on_the_violations_page():
    violation = SodViolation.objects.get(state="open")
    assert violation.rule.name == access_demo.VENDOR_RULE
    # The review already says which side goes; applying it is the campaign owner's step.
    assert ReviewItem.objects.filter(
        grant__holder=violation.person, decision="revoke", applied_at__isnull=True
    ).exists()


def _privileged_access_ends_within_the_month():
    month = timezone.now() + timedelta(days=30)
    ending = Grant.objects.filter(
        state=GrantState.ACTIVE, entitlement__risk=Risk.PRIVILEGED, valid_to__lte=month
    )
    assert ending.count() >= 3


def _the_leaver_of_today_waits_for_an_access_manager(client):
    due = LifecycleEvent.objects.select_related("person").get(
        kind="leaver", processed_at__isnull=True
    )
    leaver = due.person
    assert leaver.is_active and leaver.leaves_on == timezone.localdate()
    held = Grant.objects.filter(holder=leaver, state=GrantState.ACTIVE)
    assert held.count() >= 3
    cio = User.objects.get(username="cio")
    client.force_login(cio)
    page = client.get(reverse("access:person", args=[leaver.username]))
    assert "Process as a leaver now" in page.content.decode()
    services.person_leave_now(actor=cio, person=leaver, why="Last day today.")
    assert not held.exists()
    assert not User.objects.get(pk=leaver.pk).is_active


def _the_colleague_who_left_last_week_holds_nothing():
    done = LifecycleEvent.objects.select_related("person").get(
        kind="leaver", processed_at__isnull=False, person__leaves_on__lt=timezone.localdate()
    )
    gone = done.person
    assert not gone.is_active and gone.leaves_on < timezone.localdate()
    grants = Grant.objects.filter(holder=gone)
    assert grants.count() >= 2
    assert set(grants.values_list("end_reason", flat=True)) == {EndReason.LEAVER}
    # What was in the systems is taken out by hand by each owner team.
    removals = ProvisioningStep.objects.filter(person=gone, action="remove")
    assert removals.count() == grants.count()
