"""The whole path to real directories: a privileged request approved by two people is
provisioned to slapd and the SCIM server by the worker, removed by itself at expiry, and a
directory that is down delays the change with its reason shown, never losing it."""

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
    StepState,
)
from opsdesk.access.testing import ldap_server, scim_server
from opsdesk.approvals.models import ApprovalRequest
from opsdesk.approvals.services import approval_decide
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.peers import peer_marker
from tests.access.factories import entitlement, manager_then_owners, package

pytestmark = [
    pytest.mark.django_db,
    peer_marker("slapd", ldap_server.available() or None),
    peer_marker("scim2-server", scim_server.available() or None),
]


def _approve_next():
    pending = ApprovalRequest.objects.filter(state="pending").first()
    approval_decide(
        request=pending, actor=pending.approver, decision="approve", comment="", via="inbox"
    )


def test_privileged_access_reaches_both_directories_and_leaves_them_at_expiry(
    ldap_target, ldap_directory, scim_target, scim_directory, monkeypatch
):
    username = ldap_directory.add_person("Priya", "Patel")
    boss = UserFactory(username=f"boss-{username}", roles=[Role.APPROVER])
    priya = UserFactory(username=username, manager=boss, email=f"{username}@example.com")
    group = ldap_directory.add_group("finance-admins")
    scim_group = scim_directory.add_group("erp-admins")
    ldap_admin = entitlement(
        "Finance admins", risk="privileged", target=ldap_target, external_id=group
    )
    erp_admin = entitlement(
        "ERP admin", risk="privileged", target=scim_target, external_id=scim_group
    )
    pkg = package("Finance administration", ldap_admin, erp_admin, scheme=manager_then_owners())
    req = services.access_request_submit(
        actor=priya,
        package=pkg,
        justification="Quarter close",
        valid_to=timezone.now() + timedelta(days=2),
    )
    _approve_next()  # the manager
    _approve_next()  # an entitlement owner (either owner may approve)
    req.refresh_from_db()
    assert req.state == AccessRequestState.PROVISIONING
    outbox_deliver_due()  # the worker, right after the approval committed
    req.refresh_from_db()
    assert req.state == AccessRequestState.GRANTED
    assert set(Grant.objects.values_list("provisioning", flat=True)) == {Provisioning.PROVISIONED}
    assert ldap_directory.person_dn(username).lower() in ldap_directory.member_dns(group)
    scim_user = scim_directory.user(username)
    assert scim_user["id"] in scim_directory.member_ids(scim_group)

    later = timezone.now() + timedelta(days=2, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    services.grants_sweep(now=later)
    outbox_deliver_due(now=later)
    grants = list(Grant.objects.all())
    assert {(g.state, g.end_reason, g.provisioning) for g in grants} == {
        (GrantState.ENDED, "expired", Provisioning.DEPROVISIONED)
    }
    assert ldap_directory.person_dn(username).lower() not in ldap_directory.member_dns(group)
    assert scim_user["id"] not in scim_directory.member_ids(scim_group)


def test_a_directory_that_is_down_delays_provisioning_with_the_reason_shown(
    ldap_target, ldap_directory
):
    username = ldap_directory.add_person("Dan", "Down")
    dan = UserFactory(username=username)
    group = ldap_directory.add_group("vpn")
    vpn = entitlement("VPN", target=ldap_target, external_id=group)
    real_url = ldap_target.url
    ldap_target.url = "ldap://127.0.0.1:1"  # nothing listens there
    ldap_target.save()
    grant = services.grant_create(actor=None, holder=dan, entitlement=vpn, source="birthright")
    outbox_deliver_due()
    grant.refresh_from_db()
    step = ProvisioningStep.objects.get(grant=grant)
    assert (
        grant.provisioning == Provisioning.FAILED and "did not answer" in grant.provisioning_error
    )
    assert step.state == StepState.RETRYING and step.attempts == 1 and step.last_error
    assert ldap_directory.person_dn(username).lower() not in ldap_directory.member_dns(group)
    ldap_target.url = real_url
    ldap_target.save()
    services.provisioning_run_due(now=step.next_attempt_at)
    grant.refresh_from_db()
    step.refresh_from_db()
    assert step.state == StepState.DONE and grant.provisioning == Provisioning.PROVISIONED
    assert ldap_directory.person_dn(username).lower() in ldap_directory.member_dns(group)


def test_a_leaver_is_disabled_in_the_scim_service(scim_target, scim_directory):
    username = scim_directory.unique_name("leo")
    leo = UserFactory(username=username, email=f"{username}@example.com")
    scim_group = scim_directory.add_group("crm")
    crm = entitlement("CRM", target=scim_target, external_id=scim_group)
    services.grant_create(actor=None, holder=leo, entitlement=crm, source="birthright")
    outbox_deliver_due()
    assert scim_directory.user(username)["active"] is True
    from opsdesk.core.testing.factories import admin

    event = services.person_leave_now(actor=admin(), person=leo, why="Contract ended")
    outbox_deliver_due()
    steps = ProvisioningStep.objects.filter(batch=event.batch)
    assert {(s.action, s.state) for s in steps} == {("remove", "done"), ("disable", "done")}
    assert scim_directory.user(username)["active"] is False
    assert scim_directory.user(username)["id"] not in scim_directory.member_ids(scim_group)
