"""Asking for access: approval by manager then owner, the grant, refusals with reasons."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.access import services
from opsdesk.access.models import (
    AccessRequestState,
    Grant,
    GrantState,
    Provisioning,
    ProvisioningStep,
    Risk,
    StepState,
)
from opsdesk.approvals.models import ApprovalRequest
from opsdesk.approvals.services import approval_decide
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory, admin
from tests.access.factories import entitlement, manager_then_owners, package, sod_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", roles=[Role.APPROVER])


@pytest.fixture
def riley(boss):
    return UserFactory(username="riley", roles=[Role.REQUESTER], manager=boss, department="Finance")


@pytest.fixture
def payroll_admin(db):
    return entitlement("Payroll administrator", risk=Risk.PRIVILEGED, max_duration_days=30)


def _decide(approval_subject, person, decision="approve"):
    pending = ApprovalRequest.objects.get(approver=person, state="pending")
    approval_decide(request=pending, actor=person, decision=decision, comment="ok", via="inbox")


def test_privileged_access_is_granted_after_the_manager_and_the_owner_approve(
    riley, boss, payroll_admin
):
    pkg = package("Payroll admin", payroll_admin, scheme=manager_then_owners())
    req = services.access_request_submit(
        actor=riley,
        package=pkg,
        justification="Year-end close",
        valid_to=timezone.now() + timedelta(days=10),
    )
    assert req.number.startswith("ACC")
    assert req.state == AccessRequestState.AWAITING_APPROVAL
    _decide(req, boss)
    req.refresh_from_db()
    assert req.state == AccessRequestState.AWAITING_APPROVAL  # the owner is asked next
    _decide(req, payroll_admin.owner)
    req.refresh_from_db()
    grant = Grant.objects.get(holder=riley)
    # No directory is connected: the owner team does it by hand, so it is not provisioned yet.
    assert req.state == AccessRequestState.PROVISIONING
    assert grant.state == GrantState.ACTIVE and grant.provisioning == Provisioning.PENDING
    assert sorted(grant.approved_by) == sorted([str(boss), str(payroll_admin.owner)])
    step = ProvisioningStep.objects.get(grant=grant)
    assert step.state == StepState.MANUAL
    team_member = UserFactory(roles=[Role.AGENT])
    payroll_admin.owner_team.members.add(team_member)
    services.manual_step_done(actor=team_member, step=step)
    req.refresh_from_db()
    grant.refresh_from_db()
    assert grant.provisioning == Provisioning.PROVISIONED
    assert req.state == AccessRequestState.GRANTED


def test_a_rejection_grants_nothing(riley, boss, payroll_admin):
    pkg = package("Payroll admin", payroll_admin, scheme=manager_then_owners())
    req = services.access_request_submit(actor=riley, package=pkg, justification="x")
    _decide(req, boss, "reject")
    req.refresh_from_db()
    assert req.state == AccessRequestState.REJECTED
    assert not Grant.objects.exists()


def test_longer_than_the_entitlement_allows_is_refused_with_the_limit(riley, payroll_admin):
    pkg = package("Payroll admin", payroll_admin, scheme=manager_then_owners())
    with pytest.raises(ValidationFailed) as refused:
        services.access_request_submit(
            actor=riley,
            package=pkg,
            justification="x",
            valid_to=timezone.now() + timedelta(days=90),
        )
    assert refused.value.fields["valid_to"] == ["This access may be held for at most 30 days."]
    assert not Grant.objects.exists()


def test_an_end_before_the_start_is_refused(riley, payroll_admin):
    pkg = package("Payroll admin", payroll_admin)
    start = timezone.now() + timedelta(days=2)
    with pytest.raises(ValidationFailed) as refused:
        services.access_request_submit(
            actor=riley,
            package=pkg,
            justification="x",
            valid_from=start,
            valid_to=start - timedelta(hours=1),
        )
    assert refused.value.fields["valid_to"] == ["The end must be after the start."]


def test_a_package_outside_the_audience_is_refused(riley, payroll_admin):
    pkg = package("Payroll admin", payroll_admin, audience_departments=["HR"])
    with pytest.raises(NotPermitted):
        services.access_request_submit(actor=riley, package=pkg, justification="x")


def test_a_blocking_duty_rule_says_why_before_anything_is_written(riley):
    approve = entitlement("Approve payments")
    create = entitlement("Create vendors")
    sod_rule("Vendor fraud", [approve], [create], description="Keeps payments honest.")
    services.grant_create(
        actor=admin(), holder=riley, entitlement=create, source="rule", reason="Accounts payable"
    )
    pkg = package("Payments approver", approve)
    conflicts = services.request_check(actor=riley, package=pkg)
    assert [c.rule.name for c in conflicts] == ["Vendor fraud"]
    with pytest.raises(ValidationFailed) as refused:
        services.access_request_submit(actor=riley, package=pkg)
    assert "Vendor fraud" in refused.value.fields["__all__"][0]
    assert "Keeps payments honest." in refused.value.fields["__all__"][0]
    assert not Grant.objects.filter(entitlement=approve).exists()


def test_grants_that_never_overlap_in_time_do_not_conflict(riley):
    approve = entitlement("Approve payments")
    create = entitlement("Create vendors")
    sod_rule("Vendor fraud", [approve], [create])
    now = timezone.now()
    services.grant_create(
        actor=admin(),
        holder=riley,
        entitlement=create,
        source="rule",
        valid_from=now,
        valid_to=now + timedelta(days=5),
    )
    pkg = package("Payments approver", approve)
    later = services.access_request_submit(
        actor=riley,
        package=pkg,
        valid_from=now + timedelta(days=6),
        valid_to=now + timedelta(days=9),
    )
    assert later.state == AccessRequestState.PROVISIONING
    assert Grant.objects.get(entitlement=approve).state == GrantState.SCHEDULED


def test_an_extra_approval_rule_needs_a_stated_exception(riley, boss):
    approve = entitlement("Approve payments")
    create = entitlement("Create vendors")
    sod_rule("Vendor fraud", [approve], [create], action="approve")
    services.grant_create(actor=admin(), holder=riley, entitlement=create, source="rule")
    pkg = package("Payments approver", approve, scheme=manager_then_owners())
    with pytest.raises(ValidationFailed) as refused:
        services.access_request_submit(actor=riley, package=pkg)
    assert "sod_exception" in refused.value.fields
    req = services.access_request_submit(
        actor=riley, package=pkg, sod_exception="Covering for Sam for two weeks"
    )
    assert req.sod_conflicts[0]["rule"] == "Vendor fraud"


def test_revoking_twice_does_nothing_twice(riley):
    ent = entitlement("Wiki editor")
    grant = services.grant_create(actor=admin(), holder=riley, entitlement=ent, source="rule")
    manager = admin()
    services.grant_revoke(actor=manager, grant=grant, reason="Not needed")
    services.grant_revoke(actor=manager, grant=grant, reason="Not needed")
    grant.refresh_from_db()
    assert grant.state == GrantState.ENDED and grant.end_reason == "revoked"
    from opsdesk.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="access.ended", object_id=str(grant.pk)).count() == 1


def test_asking_again_extends_the_access_held(riley, boss):
    ent = entitlement("Reporting", max_duration_days=60)
    pkg = package("Reporting", ent, default_duration_days=10)
    first = services.access_request_submit(actor=riley, package=pkg)
    grant = Grant.objects.get()
    ends = grant.valid_to
    again = services.access_request_submit(
        actor=riley, package=pkg, valid_to=timezone.now() + timedelta(days=40)
    )
    assert again.state == AccessRequestState.GRANTED and first.pk != again.pk
    grant.refresh_from_db()
    assert Grant.objects.count() == 1 and grant.valid_to > ends + timedelta(days=29)


def test_asking_again_for_what_may_not_be_extended_is_refused(riley):
    pkg = package("Wiki", entitlement("Wiki"), extension_allowed=False)
    services.access_request_submit(actor=riley, package=pkg)
    with pytest.raises(ValidationFailed) as refused:
        services.access_request_submit(actor=riley, package=pkg)
    assert "already holds Wiki" in refused.value.fields["package"][0]


def test_the_scan_finds_conflicts_made_outside_opsdesk_and_exceptions_run_out(riley):
    from opsdesk.access.models import SodViolation

    approve = entitlement("Approve payments")
    create = entitlement("Create vendors")
    manager = admin()
    # Both held before the rule existed (recorded from the directory): the scan finds it.
    for ent in (approve, create):
        services.grant_create(actor=manager, holder=riley, entitlement=ent, source="migration")
    rule = sod_rule("Vendor fraud", [approve], [create])
    assert services.sod_scan() == {"found": 1, "resolved": 0}
    assert services.sod_scan() == {"found": 0, "resolved": 0}  # found once
    violation = SodViolation.objects.get(rule=rule)
    violation.state = "excepted"
    violation.exception_until = timezone.localdate() - timedelta(days=1)
    violation.save()
    assert services.sod_exceptions_expire() == 1
    violation.refresh_from_db()
    assert violation.state == "open"
    services.grant_revoke(actor=manager, grant=Grant.objects.get(entitlement=create), reason="SoD")
    assert services.sod_scan() == {"found": 0, "resolved": 1}


def test_nobody_learns_a_strangers_conflicts(riley):
    approve = entitlement("Approve payments")
    create = entitlement("Create vendors")
    sod_rule("Vendor fraud", [approve], [create])
    services.grant_create(actor=admin(), holder=riley, entitlement=create, source="rule")
    stranger = UserFactory(username="stranger", roles=[Role.REQUESTER])
    with pytest.raises(NotPermitted):
        services.request_check(actor=stranger, package=package("Pay", approve), requested_for=riley)
