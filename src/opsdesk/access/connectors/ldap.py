"""LDAP group membership with ldap3, for OpenLDAP, 389 Directory Server, Active Directory ...

A target's settings say where things are::

    {
        "people_base": "ou=people,dc=example,dc=com",   # where people are
        "user_attribute": "uid",                        # names them: uid=<username>,<people_base>
        "groups_base": "ou=groups,dc=example,dc=com",   # searched for groups to import
        "group_object_class": "groupOfNames",
        "member_attribute": "member",                   # lists a group's members by DN
        "placeholder_member": "",                       # kept in a group emptied of people
        "disable_attribute": "", "disable_value": "",   # how an account is disabled (below)
        "start_tls": false,
    }

The target's ``username`` is the bind DN and its ``secret`` the password. Disabling an account
sets ``disable_attribute`` to ``disable_value`` on the person when both are set (e.g.
``employeeType: disabled`` for a directory whose sign-in filter reads it); otherwise it removes
the person from every group under ``groups_base``, which is what opsdesk manages there.
"""

import math
from contextlib import contextmanager, suppress

import ldap3
from ldap3.core.exceptions import (
    LDAPCommunicationError,
    LDAPException,
    LDAPResponseTimeoutError,
)
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from opsdesk.access.connectors import TIMEOUT_SECONDS, ConnectorError, ExternalGroup

# Answers that mean the change is already there: the worker's retry of a step that did land.
ALREADY_MEMBER = "attributeOrValueExists"
NOT_A_MEMBER = "noSuchAttribute"


def _normalise(dn: str) -> tuple:
    """A DN compared as LDAP does: attribute names and values without case or spacing."""
    return tuple((attr.lower(), value.lower()) for attr, value, _ in parse_dn(dn, escape=False))


class LdapConnector:
    def __init__(self, target):
        self.target = target
        settings = target.settings or {}
        self.url = target.url
        self.people_base = settings.get("people_base", "")
        self.user_attribute = settings.get("user_attribute") or "uid"
        self.groups_base = settings.get("groups_base", "")
        self.group_object_class = settings.get("group_object_class") or "groupOfNames"
        self.member_attribute = settings.get("member_attribute") or "member"
        self.placeholder_member = settings.get("placeholder_member", "")
        self.disable_attribute = settings.get("disable_attribute", "")
        self.disable_value = settings.get("disable_value", "")
        self.start_tls = bool(settings.get("start_tls"))

    # -- names --------------------------------------------------------------------------

    def person_dn(self, person) -> str:
        if not self.people_base:
            raise ConnectorError(f"{self.target.name}: set people_base in the target's settings")
        return f"{self.user_attribute}={escape_rdn(person.username)},{self.people_base}"

    def username_of(self, dn: str) -> str | None:
        """The opsdesk username a member DN stands for; None for anything not a person under
        ``people_base`` (a nested group, a placeholder, someone from another tree)."""
        try:
            rdns = parse_dn(dn, escape=False)
            base = _normalise(self.people_base)
        except LDAPException:
            return None
        attr, value, _ = rdns[0]
        rest = tuple((a.lower(), v.lower()) for a, v, _ in rdns[1:])
        if attr.lower() != self.user_attribute.lower() or rest != base:
            return None
        return value

    # -- the connection -----------------------------------------------------------------

    def _fail(self, connection, doing: str) -> ConnectorError:
        result = connection.result or {}
        reason = result.get("description") or "no answer"
        if result.get("message"):
            reason += f" ({result['message']})"
        return ConnectorError(f"LDAP at {self.url} refused {doing}: {reason}")

    def _unreachable(self, error: Exception) -> ConnectorError:
        if isinstance(error, LDAPCommunicationError | LDAPResponseTimeoutError | OSError):
            return ConnectorError(f"LDAP at {self.url} did not answer: {error}")
        return ConnectorError(f"LDAP at {self.url} failed: {error}")

    @contextmanager
    def _connection(self):
        # ldap3 takes whole seconds for its socket timeouts.
        timeout = max(1, math.ceil(TIMEOUT_SECONDS))
        try:
            server = ldap3.Server(self.url, connect_timeout=timeout, get_info=ldap3.NONE)
            connection = ldap3.Connection(
                server,
                user=self.target.username or None,
                password=self.target.secret or None,
                receive_timeout=timeout,
                raise_exceptions=False,
            )
            connection.open()
            if self.start_tls:
                connection.start_tls()
            bound = connection.bind()
        except (LDAPException, OSError, ValueError) as error:
            raise self._unreachable(error) from error
        try:
            if not bound:
                raise self._fail(
                    connection, f"the sign-in as {self.target.username or 'anonymous'}"
                )
            yield connection
        except (LDAPException, OSError, ValueError) as error:
            raise self._unreachable(error) from error
        finally:
            # The answer is already in; a connection that drops at the end is fine.
            with suppress(LDAPException, OSError):
                connection.unbind()

    def _require_person(self, connection, dn: str) -> None:
        # A member DN nobody has would be written without complaint by most directories,
        # granting nothing: say so instead of reporting the grant provisioned.
        if not connection.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[]):
            if (connection.result or {}).get("description") == "noSuchObject":
                raise ConnectorError(f"LDAP at {self.url} has no person {dn}")
            raise self._fail(connection, f"the look-up of {dn}")

    # -- writes -------------------------------------------------------------------------

    def add_member(self, *, group: str, person) -> None:
        dn = self.person_dn(person)
        with self._connection() as connection:
            self._require_person(connection, dn)
            changes = {self.member_attribute: [(ldap3.MODIFY_ADD, [dn])]}
            if connection.modify(group, changes):
                return
            if connection.result.get("description") == ALREADY_MEMBER:
                return
            raise self._fail(connection, f"the change to {group}")

    def remove_member(self, *, group: str, person) -> None:
        with self._connection() as connection:
            self._remove(connection, group, self.person_dn(person))

    def _remove(self, connection, group: str, dn: str) -> None:
        changes = {self.member_attribute: [(ldap3.MODIFY_DELETE, [dn])]}
        if connection.modify(group, changes):
            return
        description = connection.result.get("description")
        if description == NOT_A_MEMBER:
            return
        if description == "objectClassViolation" and self.placeholder_member:
            # groupOfNames needs a member: the last person out leaves the placeholder in.
            changes = {
                self.member_attribute: [
                    (ldap3.MODIFY_ADD, [self.placeholder_member]),
                    (ldap3.MODIFY_DELETE, [dn]),
                ]
            }
            if connection.modify(group, changes):
                return
        if description == "objectClassViolation":
            raise ConnectorError(
                f"LDAP at {self.url} refused the change to {group}: objectClassViolation "
                "(the group cannot be left empty; set placeholder_member in the target's settings)"
            )
        raise self._fail(connection, f"the change to {group}")

    def disable_account(self, *, person) -> None:
        dn = self.person_dn(person)
        with self._connection() as connection:
            if self.disable_attribute and self.disable_value:
                changes = {self.disable_attribute: [(ldap3.MODIFY_REPLACE, [self.disable_value])]}
                if connection.modify(dn, changes):
                    return
                if connection.result.get("description") == "noSuchObject":
                    return  # no account there: nothing to disable
                raise self._fail(connection, f"the change to {dn}")
            for group_dn in self._groups_holding(connection, dn):
                self._remove(connection, group_dn, dn)

    # -- reads --------------------------------------------------------------------------

    def _search(self, connection, base: str, search_filter: str, attributes: list[str]):
        """Every entry under ``base``, page by page (directories cap a plain search's size)."""
        if not base:
            raise ConnectorError(f"{self.target.name}: set groups_base in the target's settings")
        entries = connection.extend.standard.paged_search(
            base,
            search_filter,
            search_scope=ldap3.SUBTREE,
            attributes=attributes,
            paged_size=500,
            generator=True,
        )
        for entry in entries:
            if entry.get("type") == "searchResEntry":
                yield entry
        result = connection.result or {}
        if result.get("description") not in (None, "success"):
            raise self._fail(connection, f"the search of {base}")

    def _groups_holding(self, connection, dn: str) -> list[str]:
        search_filter = (
            f"(&(objectClass={self.group_object_class})"
            f"({self.member_attribute}={escape_filter_chars(dn)}))"
        )
        return [
            entry["dn"] for entry in self._search(connection, self.groups_base, search_filter, [])
        ]

    def _usernames(self, member_dns) -> frozenset[str]:
        return frozenset(
            name for name in (self.username_of(dn) for dn in member_dns or ()) if name is not None
        )

    def members(self, *, group: str) -> frozenset[str]:
        with self._connection() as connection:
            if not connection.search(
                group,
                "(objectClass=*)",
                search_scope=ldap3.BASE,
                attributes=[self.member_attribute],
            ):
                if connection.result.get("description") == "noSuchObject":
                    raise ConnectorError(f"LDAP at {self.url} has no group {group}")
                raise self._fail(connection, f"the look-up of {group}")
            [entry] = [e for e in connection.response if e.get("type") == "searchResEntry"]
            return self._usernames(entry["attributes"].get(self.member_attribute))

    def groups(self) -> list[ExternalGroup]:
        with self._connection() as connection:
            found = [
                ExternalGroup(
                    id=entry["dn"],
                    name=_first(entry["attributes"].get("cn")) or entry["dn"],
                    members=self._usernames(entry["attributes"].get(self.member_attribute)),
                )
                for entry in self._search(
                    connection,
                    self.groups_base,
                    f"(objectClass={self.group_object_class})",
                    ["cn", self.member_attribute],
                )
            ]
        return sorted(found, key=lambda group: group.name.lower())


def _first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value
