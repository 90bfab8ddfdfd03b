"""The SCIM 2.0 connector against a real SCIM server (scim2-server): people found or created,
group membership patched and read back, accounts disabled, and failures said in words."""

import socket

import pytest

from opsdesk.access.connectors import ConnectorError, connector_for
from opsdesk.access.models import TargetKind
from opsdesk.access.testing import make_target, scim_server
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.peers import peer_marker

from .conftest import ScimDirectory

pytestmark = [
    pytest.mark.django_db,
    peer_marker("scim2-server", scim_server.available() or None),
]


@pytest.fixture
def newcomer(scim_directory):
    """A person opsdesk knows and the SCIM service has never heard of."""
    username = scim_directory.unique_name("nora")
    return UserFactory(
        username=username, first_name="Nora", last_name="Newcomer", email=f"{username}@example.com"
    )


def test_adding_someone_new_creates_their_account_then_puts_them_in_the_group(
    scim_target, scim_directory, newcomer
):
    group = scim_directory.add_group("vpn-users")

    connector_for(scim_target).add_member(group=group, person=newcomer)

    account = scim_directory.user(newcomer.username)
    assert account["active"] is True
    assert account["name"]["givenName"] == "Nora" and account["name"]["familyName"] == "Newcomer"
    assert [e["value"] for e in account["emails"]] == [newcomer.email]
    assert scim_directory.member_ids(group) == {account["id"]}


def test_adding_twice_keeps_one_account_and_one_membership(scim_target, scim_directory, newcomer):
    group = scim_directory.add_group("wiki")
    connector = connector_for(scim_target)

    connector.add_member(group=group, person=newcomer)
    connector.add_member(group=group, person=newcomer)  # the worker's retry

    found = scim_directory.http.get(
        "/Users", params={"filter": f'userName eq "{newcomer.username}"'}
    ).json()
    assert found["totalResults"] == 1
    assert connector.members(group=group) == {newcomer.username}


def test_an_existing_account_is_found_by_username_and_not_created_again(
    scim_target, scim_directory
):
    username = scim_directory.unique_name("olga")
    existing = scim_directory.add_user(username)
    group = scim_directory.add_group("crm")

    connector_for(scim_target).add_member(group=group, person=UserFactory(username=username))

    assert scim_directory.member_ids(group) == {existing["id"]}


def test_removing_takes_only_that_person_out_and_again_is_fine(scim_target, scim_directory):
    stay, leave = scim_directory.unique_name("sam"), scim_directory.unique_name("lou")
    group = scim_directory.add_group("finance", members=[stay, leave])
    connector = connector_for(scim_target)

    connector.remove_member(group=group, person=UserFactory(username=leave))
    connector.remove_member(group=group, person=UserFactory(username=leave))
    # Nobody of this name has an account: not a member, nothing to do.
    connector.remove_member(
        group=group, person=UserFactory(username=scim_directory.unique_name("x"))
    )

    assert connector.members(group=group) == {stay}
    assert scim_directory.user(leave) is not None  # the account itself stays


def test_disabling_sets_the_account_inactive(scim_target, scim_directory, newcomer):
    group = scim_directory.add_group("mail")
    connector = connector_for(scim_target)
    connector.add_member(group=group, person=newcomer)

    connector.disable_account(person=newcomer)
    connector.disable_account(person=newcomer)

    assert scim_directory.user(newcomer.username)["active"] is False


def test_disabling_someone_without_an_account_does_nothing(scim_target, newcomer, scim_directory):
    connector_for(scim_target).disable_account(person=newcomer)

    assert scim_directory.user(newcomer.username) is None


def test_groups_lists_names_and_members_as_usernames(scim_target, scim_directory):
    a, b = scim_directory.unique_name("ann"), scim_directory.unique_name("ben")
    group = scim_directory.add_group("payroll", members=[a, b])
    empty = scim_directory.add_group("empty")

    found = {g.id: g for g in connector_for(scim_target).groups()}

    assert found[group].members == {a, b}
    assert found[group].name.startswith("payroll-")
    assert found[empty].members == frozenset()


def test_a_wrong_token_is_refused_with_the_server_s_reason(scim_target, scim_directory):
    group = scim_directory.add_group("admins")
    scim_target.secret = "not-the-token"

    with pytest.raises(ConnectorError) as refused:
        connector_for(scim_target).members(group=group)

    assert str(refused.value).startswith(
        f"SCIM at {scim_target.url} refused reading group {group}: HTTP 401"
    )
    assert "Authorization failure" in str(refused.value)


def test_a_group_the_service_lacks_is_refused_with_404(scim_target, newcomer):
    with pytest.raises(ConnectorError) as refused:
        connector_for(scim_target).add_member(group="no-such-group", person=newcomer)

    assert str(refused.value).startswith(
        f"SCIM at {scim_target.url} refused adding {newcomer.username} to group no-such-group: "
        "HTTP 404"
    )


def test_a_service_that_is_down_did_not_answer(db, newcomer):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v2"
        target = make_target(kind=TargetKind.SCIM, url=url, secret="t")
        with pytest.raises(ConnectorError) as refused:
            connector_for(target).add_member(group="g", person=newcomer)

    assert str(refused.value).startswith(f"SCIM at {url} did not answer")


def test_a_service_that_stops_fails_readably(db, newcomer):
    server = scim_server.ScimServer()
    server.start()
    try:
        target = make_target(kind=TargetKind.SCIM, url=server.url, secret=scim_server.TOKEN)
        connector = connector_for(target)
        assert connector.groups() == []

        server.stop()
        with pytest.raises(ConnectorError) as down:
            connector.groups()
        assert str(down.value).startswith(f"SCIM at {server.url} did not answer")
    finally:
        server.stop()


def test_a_service_that_accepts_but_never_answers_times_out(db, newcomer, monkeypatch):
    monkeypatch.setattr("opsdesk.access.connectors.scim.TIMEOUT_SECONDS", 0.2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        target = make_target(
            kind=TargetKind.SCIM, url=f"http://127.0.0.1:{silent.getsockname()[1]}/v2"
        )
        with pytest.raises(ConnectorError) as refused:
            connector_for(target).members(group="g")

    assert str(refused.value) == f"SCIM at {target.url} did not answer within 0.2 s"


@pytest.fixture(scope="module")
def put_only_scim():
    """A provider that refuses PATCH with 501 and takes whole resources with PUT."""
    server = scim_server.ScimServer(patch=False)
    server.start()
    yield server
    server.stop()


def test_a_provider_without_patch_gets_the_whole_group_and_account_with_put(
    db, put_only_scim, newcomer
):
    directory = ScimDirectory(put_only_scim)
    stays = directory.unique_name("stan")
    group = directory.add_group("badges", members=[stays])
    target = make_target(kind=TargetKind.SCIM, url=put_only_scim.url, secret=scim_server.TOKEN)
    connector = connector_for(target)
    refused = directory.http.patch(
        f"/Groups/{group}",
        json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []},
    )
    assert refused.status_code == 501

    connector.add_member(group=group, person=newcomer)
    connector.add_member(group=group, person=newcomer)
    assert connector.members(group=group) == {stays, newcomer.username}

    connector.remove_member(group=group, person=newcomer)
    connector.remove_member(group=group, person=newcomer)
    assert connector.members(group=group) == {stays}

    connector.disable_account(person=newcomer)
    account = directory.user(newcomer.username)
    assert account["active"] is False
    assert account["name"]["familyName"] == "Newcomer"  # the rest of the account is kept
    directory.http.close()
