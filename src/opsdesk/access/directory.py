"""What a directory says, next to what opsdesk granted: reads only, nothing is written.

Reconciliation builds on :func:`drift`; importing entitlements on :func:`directory_groups`.
Both ask the target's connector, so a directory that is down raises ConnectorError.
"""

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower

from opsdesk.access.connectors import ExternalGroup, connector_for
from opsdesk.access.models import Entitlement, Grant, GrantState

HELD_WITHOUT_GRANT = "held_without_grant"
GRANT_NOT_IN_DIRECTORY = "grant_not_in_directory"


@dataclass(frozen=True)
class Drift:
    """One difference: someone in the group without an active grant (``person`` is the opsdesk
    user of that name, None if there is none), or an active grant whose holder the group
    lacks (``grant`` is that grant)."""

    kind: Literal["held_without_grant", "grant_not_in_directory"]
    entitlement: Entitlement
    username: str
    person: object | None = None
    grant: Grant | None = None


def drift(*, target, entitlements) -> list[Drift]:
    """Differences between each entitlement's active grants and its group's members in
    ``target``, entitlement by entitlement, sorted by username. Entitlements of another
    target, or without an external id, have no group to compare and are passed by."""
    connector = connector_for(target)
    found: list[Drift] = []
    for entitlement in entitlements:
        if entitlement.target_id != target.pk or not entitlement.external_id:
            continue
        in_directory = connector.members(group=entitlement.external_id)
        grants = (
            Grant.objects.filter(entitlement=entitlement, state=GrantState.ACTIVE)
            .select_related("holder")
            .order_by("holder__username", "pk")
        )
        # Directories compare names without case (LDAP's uid, SCIM's userName); so does this.
        granted: dict[str, Grant] = {}
        for grant in grants:
            granted.setdefault(grant.holder.username.lower(), grant)
        held = {username.lower(): username for username in in_directory}
        extra = sorted(held[key] for key in held.keys() - granted.keys())
        people = _people_named(extra)
        found.extend(
            Drift(
                kind=HELD_WITHOUT_GRANT,
                entitlement=entitlement,
                username=username,
                person=people.get(username.lower()),
            )
            for username in extra
        )
        found.extend(
            Drift(
                kind=GRANT_NOT_IN_DIRECTORY,
                entitlement=entitlement,
                username=grant.holder.username,
                person=grant.holder,
                grant=grant,
            )
            for key, grant in sorted(granted.items())
            if key not in held
        )
    return found


def _people_named(usernames: list[str]) -> dict:
    """opsdesk's users of these names, by lower-cased name."""
    if not usernames:
        return {}
    users = (
        get_user_model()
        .objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=[name.lower() for name in usernames])
    )
    return {user.username.lower(): user for user in users}


def directory_groups(*, target) -> list[ExternalGroup]:
    """The groups ``target`` has, with their members' usernames, for importing entitlements."""
    return connector_for(target).groups()
