"""The LDAP connector against a real OpenLDAP slapd: membership written and read back, retries
harmless, and a directory that is down or refuses says so in words."""

import socket

import pytest

from opsdesk.access.connectors import ConnectorError, ExternalGroup, connector_for
from opsdesk.access.models import TargetKind
from opsdesk.access.testing import ldap_server, make_target
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.peers import peer_marker

from .conftest import LDAP_SETTINGS, LdapDirectory

pytestmark = [
    pytest.mark.django_db,
    peer_marker("slapd", ldap_server.available() or None),
]


def person(username, **fields):
    return UserFactory(username=username, **fields)


def test_adding_a_person_puts_their_entry_in_the_group_and_a_retry_changes_nothing(
    ldap_target, ldap_directory
):
    group = ldap_directory.add_group("vpn-users")
    alice = person("alice")
    connector = connector_for(ldap_target)

    connector.add_member(group=group, person=alice)
    connector.add_member(group=group, person=alice)  # the worker's retry after a timeout

    assert ldap_directory.person_dn("alice").lower() in ldap_directory.member_dns(group)
    assert connector.members(group=group) == {"alice"}


def test_removing_a_person_takes_them_out_and_removing_again_is_fine(ldap_target, ldap_directory):
    group = ldap_directory.add_group("finance", members=["alice", "bob"])
    connector = connector_for(ldap_target)

    connector.remove_member(group=group, person=person("bob"))
    connector.remove_member(group=group, person=person("bob"))
    connector.remove_member(group=group, person=person("carol"))  # never was a member

    assert connector.members(group=group) == {"alice"}


def test_the_last_person_out_leaves_the_placeholder_so_the_group_stays_valid(
    ldap_target, ldap_directory
):
    group = ldap_directory.add_group("auditors", members=["dave"])
    connector = connector_for(ldap_target)

    connector.remove_member(group=group, person=person("dave"))

    assert ldap_directory.member_dns(group) == {ldap_server.NOBODY_DN.lower()}
    assert connector.members(group=group) == frozenset()


def test_without_a_placeholder_emptying_a_group_is_refused_with_the_way_out(
    ldap_target, ldap_directory
):
    ldap_target.settings = {**LDAP_SETTINGS, "placeholder_member": ""}
    group = ldap_directory.add_group("payroll", members=["carol"])

    with pytest.raises(ConnectorError) as refused:
        connector_for(ldap_target).remove_member(group=group, person=person("carol"))

    assert "objectClassViolation" in str(refused.value)
    assert "placeholder_member" in str(refused.value)
    assert ldap_directory.person_dn("carol").lower() in ldap_directory.member_dns(group)


def test_members_are_read_back_as_usernames_and_other_entries_are_left_out(
    ldap_target, ldap_directory
):
    group = ldap_directory.add_group("wiki-editors", members=["alice", "carol"])
    # A nested group is a member too, but nobody holds it through a grant.
    nested = ldap_directory.add_group("wiki-bots")
    connector = connector_for(ldap_target)
    with ldap_directory._admin() as admin:
        admin.modify(group, {"member": [("MODIFY_ADD", [nested])]})

    assert connector.members(group=group) == {"alice", "carol"}


def test_groups_lists_the_directory_s_groups_with_their_members_for_import(
    ldap_target, ldap_directory
):
    group = ldap_directory.add_group("crm-sales", members=["bob", "dave"])

    found = {g.id.lower(): g for g in connector_for(ldap_target).groups()}

    assert found[group.lower()] == ExternalGroup(
        id=group, name=group.split(",")[0].removeprefix("cn="), members=frozenset({"bob", "dave"})
    )


def test_a_person_the_directory_lacks_is_not_written_as_a_dangling_member(
    ldap_target, ldap_directory
):
    group = ldap_directory.add_group("hr")

    with pytest.raises(ConnectorError) as refused:
        connector_for(ldap_target).add_member(group=group, person=person("nobody-here"))

    assert str(refused.value) == (
        f"LDAP at {ldap_target.url} has no person uid=nobody-here,{ldap_server.PEOPLE}"
    )
    assert ldap_directory.member_dns(group) == {ldap_server.NOBODY_DN.lower()}


def test_a_group_the_directory_lacks_is_named_in_the_error(ldap_target):
    group = f"cn=no-such-group,{ldap_server.GROUPS}"

    with pytest.raises(ConnectorError) as refused:
        connector_for(ldap_target).members(group=group)
    assert str(refused.value) == f"LDAP at {ldap_target.url} has no group {group}"

    with pytest.raises(ConnectorError) as refused:
        connector_for(ldap_target).add_member(group=group, person=person("alice"))
    assert "noSuchObject" in str(refused.value)


def test_disabling_removes_the_person_from_every_managed_group(ldap_target, ldap_directory):
    leaver = ldap_directory.add_person("Lee", "Leaver")
    first = ldap_directory.add_group("vpn", members=[leaver, "alice"])
    second = ldap_directory.add_group("mail", members=[leaver])

    connector = connector_for(ldap_target)
    connector.disable_account(person=person(leaver))
    connector.disable_account(person=person(leaver))

    assert connector.members(group=first) == {"alice"}
    assert connector.members(group=second) == frozenset()


def test_disabling_can_set_an_attribute_instead(ldap_target, ldap_directory):
    leaver = ldap_directory.add_person("Max", "Mover")
    group = ldap_directory.add_group("vpn", members=[leaver])
    ldap_target.settings = {
        **LDAP_SETTINGS,
        "disable_attribute": "employeeType",
        "disable_value": "disabled",
    }

    connector_for(ldap_target).disable_account(person=person(leaver))

    assert ldap_directory.attribute(ldap_directory.person_dn(leaver), "employeeType") == [
        "disabled"
    ]
    assert connector_for(ldap_target).members(group=group) == {leaver}


def test_an_account_without_write_rights_is_refused_in_words(slapd, ldap_directory):
    group = ldap_directory.add_group("admins")
    auditor = make_target(
        kind=TargetKind.LDAP,
        url=slapd.url,
        username=ldap_server.AUDITOR_DN,
        secret=ldap_server.AUDITOR_PASSWORD,
        settings=dict(LDAP_SETTINGS),
    )

    with pytest.raises(ConnectorError) as refused:
        connector_for(auditor).add_member(group=group, person=person("alice"))

    assert str(refused.value) == (
        f"LDAP at {slapd.url} refused the change to {group}: insufficientAccessRights"
    )
    assert connector_for(auditor).members(group=group) == frozenset()  # reading is allowed


def test_a_wrong_password_is_refused_at_sign_in(ldap_target, ldap_directory):
    ldap_target.secret = "not-the-password"

    with pytest.raises(ConnectorError) as refused:
        connector_for(ldap_target).members(group=ldap_directory.add_group("x"))

    assert str(refused.value) == (
        f"LDAP at {ldap_target.url} refused the sign-in as {ldap_server.PROVISIONER_DN}: "
        "invalidCredentials"
    )


def test_a_directory_nobody_listens_on_did_not_answer(db):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        target = make_target(kind=TargetKind.LDAP, url=f"ldap://127.0.0.1:{port}")
        with pytest.raises(ConnectorError) as refused:
            connector_for(target).members(group="cn=x,dc=example,dc=com")

    assert str(refused.value).startswith(f"LDAP at ldap://127.0.0.1:{port} did not answer")


def test_a_directory_that_accepts_but_never_answers_times_out(db, monkeypatch):
    monkeypatch.setattr("opsdesk.access.connectors.ldap.TIMEOUT_SECONDS", 0.2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes the handshake; nothing ever replies
        target = make_target(
            kind=TargetKind.LDAP, url=f"ldap://127.0.0.1:{silent.getsockname()[1]}"
        )
        with pytest.raises(ConnectorError) as refused:
            connector_for(target).members(group="cn=x,dc=example,dc=com")

    assert str(refused.value).startswith(f"LDAP at {target.url} did not answer")


def test_a_directory_that_stops_fails_readably_and_works_again_once_back(db, tmp_path):
    server = ldap_server.LdapServer(tmp_path)
    server.start(people=[("alice", "Alice", "Liddell")])
    try:
        target = make_target(
            kind=TargetKind.LDAP,
            url=server.url,
            username=ldap_server.ADMIN_DN,
            secret=ldap_server.ADMIN_PASSWORD,
            settings=dict(LDAP_SETTINGS),
        )
        group = f"cn=ops,{ldap_server.GROUPS}"
        with LdapDirectory(server)._admin() as admin:
            assert admin.add(group, ["groupOfNames"], {"member": [ldap_server.NOBODY_DN]})
        connector = connector_for(target)
        connector.add_member(group=group, person=person("alice"))

        server.stop()
        with pytest.raises(ConnectorError) as down:
            connector.remove_member(group=group, person=person("alice"))
        assert str(down.value).startswith(f"LDAP at {server.url} did not answer")

        server.start()
        assert connector.members(group=group) == {"alice"}
    finally:
        server.stop()


@pytest.mark.parametrize("url", ["ldap://", "ldap://127.0.0.1:notaport", "not a url"])
def test_an_address_that_is_not_an_ldap_url_fails_in_words(db, url):
    target = make_target(kind=TargetKind.LDAP, url=url, settings=dict(LDAP_SETTINGS))

    with pytest.raises(ConnectorError) as refused:
        connector_for(target).groups()

    assert str(refused.value).startswith(f"LDAP at {url} ")


def test_a_groups_base_the_directory_lacks_is_named_in_the_error(ldap_target):
    ldap_target.settings = {**LDAP_SETTINGS, "groups_base": "ou=teams,dc=example,dc=com"}

    with pytest.raises(ConnectorError) as refused:
        connector_for(ldap_target).groups()

    assert str(refused.value) == (
        f"LDAP at {ldap_target.url} refused the search of ou=teams,dc=example,dc=com: noSuchObject"
    )


def test_a_target_without_its_bases_says_which_setting_is_missing(ldap_target):
    ldap_target.settings = {}

    with pytest.raises(ConnectorError) as refused:
        connector_for(ldap_target).groups()
    assert str(refused.value) == "Corporate LDAP: set groups_base in the target's settings"

    with pytest.raises(ConnectorError) as refused:
        connector_for(ldap_target).add_member(group="cn=x", person=person("alice"))
    assert str(refused.value) == "Corporate LDAP: set people_base in the target's settings"
