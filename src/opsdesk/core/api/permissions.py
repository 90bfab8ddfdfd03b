from rest_framework import permissions

from opsdesk.core.roles import is_admin, is_agent


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
