"""Connectors: how opsdesk writes group membership and account state to a directory and reads
it back.

A :class:`ProvisioningTarget` names the directory; :func:`connector_for` gives the connector
for its kind. Every connector answers the same five calls. The writes are idempotent (adding a
member twice, or removing one that is not there, is a success), so the worker can retry a step
after a timeout without knowing whether the first attempt landed. Whatever goes wrong on the
way (a directory that is down, slow, or refuses) comes back as :class:`ConnectorError` with a
sentence an administrator can act on, which the grant shows as its provisioning error.
"""

from dataclasses import dataclass
from typing import Protocol

from opsdesk.access.models import TargetKind

# Seconds before a directory that does not answer counts as down; the worker retries later.
TIMEOUT_SECONDS = 10


class ConnectorError(Exception):
    """A directory could not be reached or refused a change; the message says which and why."""


@dataclass(frozen=True)
class ExternalGroup:
    """A group as the directory has it: its id there, its name, and its members' usernames."""

    id: str
    name: str
    members: frozenset[str]


class Connector(Protocol):
    def add_member(self, *, group: str, person) -> None: ...

    def remove_member(self, *, group: str, person) -> None: ...

    def disable_account(self, *, person) -> None: ...

    def members(self, *, group: str) -> frozenset[str]: ...

    def groups(self) -> list[ExternalGroup]: ...


def connector_for(target) -> Connector:
    """The connector for ``target``'s kind (``ldap``, ``scim`` or ``webhook``)."""
    # Imported here so a target of one kind never needs another kind's library.
    if target.kind == TargetKind.LDAP:
        from opsdesk.access.connectors.ldap import LdapConnector

        return LdapConnector(target)
    if target.kind == TargetKind.SCIM:
        from opsdesk.access.connectors.scim import ScimConnector

        return ScimConnector(target)
    if target.kind == TargetKind.WEBHOOK:
        from opsdesk.access.connectors.webhook import WebhookConnector

        return WebhookConnector(target)
    raise ConnectorError(
        f"{target.name}: opsdesk has no connector for targets of kind {target.kind!r}"
    )
