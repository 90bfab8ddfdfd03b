"""Who may design forms: catalog managers and administrators."""

from opsdesk.core.roles import is_admin, role_names

# The role the service catalog brings; until it exists, administrators design forms.
CATALOG_MANAGER = "catalog manager"


def may_design_forms(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_admin(user) or CATALOG_MANAGER in role_names(user)
