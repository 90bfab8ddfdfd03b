"""Reads of the CMDB, filtered by what the asking user may see.

Other domains call these (incidents, events): ``ci_find`` to resolve a CI named in a message,
``ci_impacted_services`` to know which business services an outage touches and why, and
``ci_dependencies`` for everything a service stands on, and ``service_users`` for the people
to tell when services are disrupted. None of these need a viewer: they serve the system; the
API and the pages check permissions before calling them.
"""

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from opsdesk.cmdb import impact
from opsdesk.cmdb.models import (
    BUSINESS_SERVICE,
    SERVICE_CLASSES,
    CIClass,
    ConfigurationItem,
    Relationship,
)
from opsdesk.cmdb.roles import cmdb_can_read_all
from opsdesk.core.models import User

DEFAULT_MAX_DEPTH = impact.DEFAULT_MAX_DEPTH


def ci_list(*, viewer) -> QuerySet[ConfigurationItem]:
    """Staff see every CI; requesters (and anyone else) see business services only."""
    qs = ConfigurationItem.objects.select_related("ci_class", "supporting_team", "service_owner")
    if cmdb_can_read_all(viewer):
        return qs
    if getattr(viewer, "is_authenticated", False):
        return qs.filter(ci_class__key=BUSINESS_SERVICE)
    return qs.none()


def ci_class_list() -> QuerySet[CIClass]:
    return CIClass.objects.all()


def relationship_list(*, viewer) -> QuerySet[Relationship]:
    qs = Relationship.objects.select_related("source__ci_class", "target__ci_class")
    return qs if cmdb_can_read_all(viewer) else qs.none()


def ci_relationships(*, ci: ConfigurationItem) -> QuerySet[Relationship]:
    """Every relationship touching ``ci``, either end."""
    return (
        Relationship.objects.filter(Q(source=ci) | Q(target=ci))
        .select_related("source__ci_class", "target__ci_class")
        .order_by("type", "id")
    )


def ci_find(*, name: str, ci_class: CIClass | str | None = None) -> ConfigurationItem | None:
    """The CI called ``name`` (any case), optionally of a class given by key or name.

    When several classes have a CI of that name and no class is given, the one in production
    with the highest criticality wins, so an alert naming "erp-db" lands on the live one.
    """
    qs = ConfigurationItem.objects.select_related("ci_class").filter(name__iexact=name.strip())
    if isinstance(ci_class, CIClass):
        qs = qs.filter(ci_class=ci_class)
    elif ci_class:
        qs = qs.filter(Q(ci_class__key=ci_class) | Q(ci_class__name__iexact=ci_class))
    candidates = sorted(qs[:50], key=lambda c: (c.environment != "production", c.criticality))
    return candidates[0] if candidates else None


def ci_impacted_services(*, ci, max_depth: int = DEFAULT_MAX_DEPTH) -> impact.Walk:
    """Every business service that depends on ``ci`` (a CI or its id), directly or not.

    ``Walk.items`` holds one ``Reached`` per service, nearest first, each with ``depth``,
    ``path`` (CIs from ``ci`` to the service), ``hops`` (the relationships) and
    ``explanation`` (the path as a sentence).
    """
    return impact.walk(ci, upwards=True, max_depth=max_depth, only_class=BUSINESS_SERVICE)


def ci_impacted_items(*, ci, max_depth: int = DEFAULT_MAX_DEPTH) -> impact.Walk:
    """Every CI of any class affected when ``ci`` fails, with the path that explains each."""
    return impact.walk(ci, upwards=True, max_depth=max_depth)


def ci_dependencies(
    *, ci, max_depth: int = DEFAULT_MAX_DEPTH, ci_class: str | None = None
) -> impact.Walk:
    """Everything ``ci`` depends on, directly or not (optionally one class, by key)."""
    return impact.walk(ci, upwards=False, max_depth=max_depth, only_class=ci_class)


# --- who uses a service -----------------------------------------------------------------------
def service_list() -> QuerySet[ConfigurationItem]:
    """Business and technical services: the CIs people use and may follow."""
    return ConfigurationItem.objects.filter(ci_class__key__in=SERVICE_CLASSES)


def service_users(service_ids: Iterable[int]) -> QuerySet[User]:
    """Active people who use any of the services: their department consumes it, or they follow it.

    Two queries whatever the audience: one for the services' departments, one for the people
    (each once, as subscriptions are matched by a subquery rather than a join).
    """
    ids = {int(pk) for pk in service_ids if pk is not None}
    if not ids:
        return User.objects.none()
    departments: set[str] = set()
    for names in service_list().filter(pk__in=ids).values_list("consumer_departments", flat=True):
        departments.update(n.strip().lower() for n in names or [] if isinstance(n, str))
    departments.discard("")
    following = ConfigurationItem.subscribers.through.objects.filter(
        configurationitem_id__in=ids, configurationitem__ci_class__key__in=SERVICE_CLASSES
    ).values("user_id")
    uses = Q(pk__in=following)
    if departments:
        uses |= Q(department_lower__in=departments)
    return (
        User.objects.filter(is_active=True)
        .alias(department_lower=Lower("department"))
        .filter(uses)
        .order_by("pk")
    )


def services_consumed_by(*, department: str) -> set[int]:
    """Ids of the services whose consumer departments name ``department`` (any case)."""
    wanted = (department or "").strip().lower()
    if not wanted:
        return set()
    # Matched here, not in SQL: JSON lists have no portable case-insensitive "has element"
    # lookup, and services number in the hundreds at most.
    rows = service_list().values_list("pk", "consumer_departments")
    return {
        pk
        for pk, names in rows
        if any(isinstance(n, str) and n.strip().lower() == wanted for n in names or [])
    }


def services_followed_by(*, user) -> QuerySet[ConfigurationItem]:
    """The services ``user`` follows, by name."""
    if not getattr(user, "is_authenticated", False):
        return ConfigurationItem.objects.none()
    return service_list().filter(subscribers=user).select_related("ci_class").order_by("name")


def services_used_by(*, user) -> set[int]:
    """Ids of the services ``user`` uses: their department's and the ones they follow."""
    if not getattr(user, "is_authenticated", False):
        return set()
    ids = set(services_followed_by(user=user).values_list("pk", flat=True))
    return ids | services_consumed_by(department=user.department)
