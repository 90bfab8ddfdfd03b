"""Reading a directory back next to opsdesk's grants: who holds access without a grant, and
which grants the directory does not reflect. Against the real slapd and SCIM servers."""

import pytest

from opsdesk.access.connectors import ConnectorError
from opsdesk.access.directory import (
    GRANT_NOT_IN_DIRECTORY,
    HELD_WITHOUT_GRANT,
    Drift,
    directory_groups,
    drift,
)
from opsdesk.access.models import GrantState, TargetKind
from opsdesk.access.testing import (
    ldap_server,
    make_entitlement,
    make_grant,
    make_target,
    scim_server,
)
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.peers import peer_marker

pytestmark = pytest.mark.django_db
needs_slapd = peer_marker("slapd", ldap_server.available() or None)
needs_scim = peer_marker("scim2-server", scim_server.available() or None)


@needs_slapd
def test_drift_names_access_held_without_a_grant_and_grants_the_directory_lacks(
    ldap_target, ldap_directory
):
    alice, bob, carol = (UserFactory(username=n) for n in ("alice", "bob", "carol"))
    # In the group: alice (granted), bob (no grant) and dave (not an opsdesk user at all).
    group = ldap_directory.add_group("vpn", members=["alice", "bob", "dave"])
    vpn = make_entitlement(name="VPN", target=ldap_target, external_id=group)
    alice_grant = make_grant(entitlement=vpn, holder=alice)
    carol_grant = make_grant(entitlement=vpn, holder=carol)  # granted, not in the group
    # Grants that are not active say nothing about what the directory should hold.
    make_grant(entitlement=vpn, holder=bob, state=GrantState.ENDED)
    make_grant(entitlement=vpn, holder=UserFactory(username="erin"), state=GrantState.SCHEDULED)

    found = drift(target=ldap_target, entitlements=[vpn])

    assert found == [
        Drift(kind=HELD_WITHOUT_GRANT, entitlement=vpn, username="bob", person=bob),
        Drift(kind=HELD_WITHOUT_GRANT, entitlement=vpn, username="dave", person=None),
        Drift(
            kind=GRANT_NOT_IN_DIRECTORY,
            entitlement=vpn,
            username="carol",
            person=carol,
            grant=carol_grant,
        ),
    ]
    assert alice_grant not in [d.grant for d in found]


@needs_slapd
def test_a_directory_in_step_with_the_grants_shows_no_drift(ldap_target, ldap_directory):
    alice = UserFactory(username="alice")
    group = ldap_directory.add_group("wiki", members=["alice"])
    wiki = make_entitlement(target=ldap_target, external_id=group)
    make_grant(entitlement=wiki, holder=alice)
    # An entitlement of another target, or without a group, has nothing to compare.
    elsewhere = make_entitlement(target=make_target(), external_id=group)
    by_hand = make_entitlement(target=ldap_target, external_id="")

    assert drift(target=ldap_target, entitlements=[wiki, elsewhere, by_hand]) == []


@needs_slapd
def test_names_are_compared_without_case_as_the_directory_does(ldap_target, ldap_directory):
    person = UserFactory(username="Alice")
    group = ldap_directory.add_group("crm", members=["alice"])
    crm = make_entitlement(target=ldap_target, external_id=group)
    make_grant(entitlement=crm, holder=person)

    assert drift(target=ldap_target, entitlements=[crm]) == []


@needs_scim
def test_drift_reads_a_scim_group_the_same_way(scim_target, scim_directory):
    held, granted = scim_directory.unique_name("hal"), scim_directory.unique_name("gus")
    holder, grantee = UserFactory(username=held), UserFactory(username=granted)
    group = scim_directory.add_group("payroll", members=[held])
    payroll = make_entitlement(target=scim_target, external_id=group)
    grant = make_grant(entitlement=payroll, holder=grantee)

    assert drift(target=scim_target, entitlements=[payroll]) == [
        Drift(kind=HELD_WITHOUT_GRANT, entitlement=payroll, username=held, person=holder),
        Drift(
            kind=GRANT_NOT_IN_DIRECTORY,
            entitlement=payroll,
            username=granted,
            person=grantee,
            grant=grant,
        ),
    ]


@needs_slapd
def test_directory_groups_lists_what_can_be_imported(ldap_target, ldap_directory):
    group = ldap_directory.add_group("erp-buyers", members=["bob", "carol"])

    found = {g.id.lower(): g.members for g in directory_groups(target=ldap_target)}

    assert found[group.lower()] == {"bob", "carol"}


def test_a_directory_that_cannot_be_read_back_says_so(db):
    hook = make_target(kind=TargetKind.WEBHOOK, url="http://127.0.0.1:9/hook")
    badges = make_entitlement(target=hook, external_id="door")

    with pytest.raises(ConnectorError, match="a webhook cannot be read back"):
        drift(target=hook, entitlements=[badges])
    with pytest.raises(ConnectorError, match="a webhook cannot be read back"):
        directory_groups(target=hook)
