"""Who may see and change the CMDB: the rule in one place for services, selectors and views."""

from opsdesk.core.roles import Role, has_role, is_agent


def cmdb_can_edit(user) -> bool:
    """Administrators and service owners maintain the CMDB."""
    return has_role(user, Role.ADMINISTRATOR, Role.SERVICE_OWNER)


def cmdb_can_read_all(user) -> bool:
    """Staff see every CI; everyone else sees business services only."""
    return is_agent(user) or cmdb_can_edit(user)
