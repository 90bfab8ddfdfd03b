"""Real directories for access management's tests: an OpenLDAP slapd and a SCIM 2.0 server,
each started once per test session on a free port of 127.0.0.1 and stopped at its end. Tests
make their own groups (and people, where they change an account) so they never see each
other's changes."""

import itertools

import httpx
import ldap3
import pytest

from opsdesk.access.models import TargetKind
from opsdesk.access.testing import ldap_server, make_target, scim_server
from opsdesk.core.testing.peers import require_peer

_unique = itertools.count(1)

# People the directory has from the start; tests that change an account make their own.
LDAP_PEOPLE = [
    ("alice", "Alice", "Liddell"),
    ("bob", "Bob", "Marley"),
    ("carol", "Carol", "Danvers"),
    ("dave", "Dave", "Bowman"),
]


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    missing = ldap_server.available()
    if missing:
        require_peer("slapd", missing)
    server = ldap_server.LdapServer(tmp_path_factory.mktemp("slapd"))
    server.start(people=LDAP_PEOPLE)
    yield server
    server.stop()


class LdapDirectory:
    """The test's hands on the directory, bound as its administrator: what a directory admin
    would see, independent of the connector under test."""

    def __init__(self, server: ldap_server.LdapServer):
        self.server = server

    def _admin(self):
        return ldap3.Connection(
            self.server.url, ldap_server.ADMIN_DN, ldap_server.ADMIN_PASSWORD, auto_bind=True
        )

    def person_dn(self, username: str) -> str:
        return f"uid={username},{ldap_server.PEOPLE}"

    def add_person(self, first: str = "Pat", last: str = "Leaver") -> str:
        username = f"{first.lower()}{next(_unique)}"
        with self._admin() as admin:
            assert admin.add(
                self.person_dn(username),
                ["inetOrgPerson"],
                {"uid": username, "cn": f"{first} {last}", "sn": last, "givenName": first},
            ), admin.result
        return username

    def add_group(self, name: str = "group", members=()) -> str:
        dn = f"cn={name}-{next(_unique)},{ldap_server.GROUPS}"
        member_dns = [self.person_dn(m) for m in members] or [ldap_server.NOBODY_DN]
        with self._admin() as admin:
            assert admin.add(dn, ["groupOfNames"], {"member": member_dns}), admin.result
        return dn

    def member_dns(self, group_dn: str) -> set[str]:
        with self._admin() as admin:
            admin.search(group_dn, "(objectClass=*)", ldap3.BASE, attributes=["member"])
            return {dn.lower() for dn in admin.response[0]["attributes"]["member"]}

    def attribute(self, dn: str, name: str):
        with self._admin() as admin:
            admin.search(dn, "(objectClass=*)", ldap3.BASE, attributes=[name])
            return admin.response[0]["attributes"][name]


@pytest.fixture
def ldap_directory(slapd):
    return LdapDirectory(slapd)


LDAP_SETTINGS = {
    "people_base": ldap_server.PEOPLE,
    "groups_base": ldap_server.GROUPS,
    "user_attribute": "uid",
    "member_attribute": "member",
    "placeholder_member": ldap_server.NOBODY_DN,
}


@pytest.fixture
def ldap_target(db, slapd):
    """A target bound as the provisioning account, which may change groups."""
    return make_target(
        kind=TargetKind.LDAP,
        name="Corporate LDAP",
        url=slapd.url,
        username=ldap_server.PROVISIONER_DN,
        secret=ldap_server.PROVISIONER_PASSWORD,
        settings=dict(LDAP_SETTINGS),
    )


@pytest.fixture(scope="session")
def scim(tmp_path_factory):
    missing = scim_server.available()
    if missing:
        require_peer("scim2-server", missing)
    server = scim_server.ScimServer()
    server.start()
    yield server
    server.stop()


class ScimDirectory:
    """The test's hands on the SCIM server, independent of the connector under test."""

    def __init__(self, server: scim_server.ScimServer):
        self.server = server
        self.http = httpx.Client(
            base_url=server.url,
            headers={
                "Authorization": f"Bearer {scim_server.TOKEN}",
                "Content-Type": "application/scim+json",
            },
            timeout=10,
        )

    def add_group(self, name: str = "group", members=()) -> str:
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": f"{name}-{next(_unique)}",
            "members": [{"value": self.add_user(m)["id"]} for m in members],
        }
        response = self.http.post("/Groups", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def user(self, username: str) -> dict | None:
        found = self.http.get("/Users", params={"filter": f'userName eq "{username}"'}).json()
        return (found.get("Resources") or [None])[0]

    def add_user(self, username: str) -> dict:
        existing = self.user(username)
        if existing:
            return existing
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": username,
            "active": True,
        }
        response = self.http.post("/Users", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def member_ids(self, group_id: str) -> set[str]:
        group = self.http.get(f"/Groups/{group_id}").json()
        return {member["value"] for member in group.get("members") or []}

    def unique_name(self, stem: str) -> str:
        return f"{stem}{next(_unique)}"


@pytest.fixture
def scim_directory(scim):
    directory = ScimDirectory(scim)
    yield directory
    directory.http.close()


@pytest.fixture
def scim_target(db, scim):
    return make_target(
        kind=TargetKind.SCIM, name="Identity provider", url=scim.url, secret=scim_server.TOKEN
    )
