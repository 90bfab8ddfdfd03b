"""Roles are Django groups seeded by a migration; these helpers answer "may this user ..."."""

from enum import StrEnum


class Role(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    TEAM_LEAD = "team lead"
    MAJOR_INCIDENT_MANAGER = "major incident manager"
    PROBLEM_MANAGER = "problem manager"
    SERVICE_OWNER = "service owner"
    APPROVER = "approver"
    CATALOG_MANAGER = "catalog manager"
    ADMINISTRATOR = "administrator"


# Roles whose holders work tickets: they see the agent workspace.
AGENT_ROLES = frozenset(
    {
        Role.AGENT,
        Role.TEAM_LEAD,
        Role.MAJOR_INCIDENT_MANAGER,
        Role.PROBLEM_MANAGER,
        Role.ADMINISTRATOR,
    }
)


def role_names(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_opsdesk_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._opsdesk_roles = cached
    return cached


def has_role(user, *roles: Role) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(role_names(user) & {str(r) for r in roles})


def is_admin(user) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


def is_agent(user) -> bool:
    """Anyone who works tickets (agents, leads, managers, administrators)."""
    return has_role(user, *AGENT_ROLES)


def forget_roles(user) -> None:
    """Drop the cached role set after changing a user's groups."""
    if hasattr(user, "_opsdesk_roles"):
        del user._opsdesk_roles
