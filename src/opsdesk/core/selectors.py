"""Reads for users, teams and tokens, filtered by what the asking user may see."""

from django.db.models import QuerySet

from opsdesk.core.models import ApiToken, Team, User
from opsdesk.core.roles import is_admin, is_agent


def user_list(*, viewer) -> QuerySet[User]:
    """Agents see everyone (they pick callers and assignees); requesters see themselves."""
    qs = User.objects.select_related("manager")
    if is_agent(viewer):
        return qs
    if not viewer.is_authenticated:
        return qs.none()
    return qs.filter(pk=viewer.pk)


def team_list(*, viewer) -> QuerySet[Team]:
    qs = Team.objects.select_related("lead", "escalation_team")
    if is_agent(viewer):
        return qs
    return qs.none()


def team_ids_of(user) -> list[int]:
    return list(user.teams.values_list("pk", flat=True))


def token_list(*, viewer) -> QuerySet[ApiToken]:
    qs = ApiToken.objects.select_related("user", "created_by")
    if is_admin(viewer):
        return qs
    if not viewer.is_authenticated:  # e.g. while the OpenAPI schema is generated
        return qs.none()
    return qs.filter(user=viewer)
