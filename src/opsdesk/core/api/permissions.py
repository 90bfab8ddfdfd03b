from rest_framework import permissions

from opsdesk.core.models import ApiToken
from opsdesk.core.roles import is_admin, is_agent


class TokenScope(permissions.BasePermission):
    """A read-only token may read and nothing else."""

    message = "This API token is read-only."

    def has_permission(self, request, view):
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            return request.method in permissions.SAFE_METHODS
        return True


class IsAgent(permissions.BasePermission):
    message = "Only service-desk staff may do this."

    def has_permission(self, request, view):
        return is_agent(request.user)


class IsAdminOrReadOnlyAgent(permissions.BasePermission):
    """Agents read; administrators change."""

    message = "Only administrators may change this."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return is_agent(request.user)
        return is_admin(request.user)
