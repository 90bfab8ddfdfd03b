"""Reads of the catalog and of requests, filtered by who is asking."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.core.models import Task
from opsdesk.core.roles import has_role, is_admin, role_names
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.service_requests.models import (
    CatalogCategory,
    CatalogItem,
    ItemTask,
    RequestItem,
    ServiceRequest,
)


def _available(qs: QuerySet, today) -> QuerySet:
    return qs.filter(active=True, category__active=True).filter(
        Q(available_from__isnull=True) | Q(available_from__lte=today),
        Q(available_until__isnull=True) | Q(available_until__gte=today),
    )


def item_in_audience(item: CatalogItem, user) -> bool:
    """Everyone, or a person in one of the item's departments or holding one of its roles."""
    if not (item.audience_departments or item.audience_roles):
        return True
    if is_admin(user):
        return True
    department = (getattr(user, "department", "") or "").casefold()
    if department and department in {d.casefold() for d in item.audience_departments}:
        return True
    return bool(role_names(user) & set(item.audience_roles))


def catalog_items(*, viewer, query: str = "", category: CatalogCategory | None = None):
    """What ``viewer`` may order today, optionally narrowed by words and a category.

    Every word must appear in the name, the descriptions, the keywords or the category, so
    "shared drive" finds "Access to a shared drive" and "laptop" finds "New laptop".
    """
    qs = _available(CatalogItem.objects.select_related("category"), timezone.localdate())
    if category is not None:
        qs = qs.filter(category=category)
    for word in query.split()[:8]:
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(short_description__icontains=word)
            | Q(description__icontains=word)
            | Q(keywords__icontains=word)
            | Q(category__name__icontains=word)
        )
    # Most items are for everyone: the database keeps those; the few with an audience are
    # checked here, so the page asks for one page of rows, not the whole catalog.
    everyone = Q(audience_departments=[], audience_roles=[])
    restricted = [
        item.pk
        for item in qs.exclude(everyone)
        .select_related(None)
        .only("pk", "audience_departments", "audience_roles")
        if item_in_audience(item, viewer)
    ]
    return qs.filter(everyone | Q(pk__in=restricted)).order_by("category__order", "name")


def catalog_item_for(*, viewer, slug: str) -> CatalogItem | None:
    found = _available(
        CatalogItem.objects.select_related("category", "owner_team").filter(slug=slug),
        timezone.localdate(),
    ).first()
    if found is None or not item_in_audience(found, viewer):
        return None
    return found


def popular_among(items, *, limit: int = 6):
    """The most ordered of ``items`` (what a person may order), most ordered first."""
    return list(items.filter(order_count__gt=0).order_by("-order_count", "name")[:limit])


def catalog_categories():
    return CatalogCategory.objects.filter(active=True).order_by("order", "name")


def may_manage_catalog(user) -> bool:
    from opsdesk.core.roles import Role

    return is_admin(user) or has_role(user, Role.CATALOG_MANAGER)


def _visible(key: str, viewer) -> QuerySet:
    visible = ticket_type(key).visible
    assert visible is not None  # the registry fills it in on registering
    return visible(viewer)


def request_list(*, viewer) -> QuerySet:
    return _visible("service_request", viewer).select_related("caller", "requested_for")


def item_list(*, viewer) -> QuerySet:
    return _visible("request_item", viewer).select_related(
        "request", "catalog_item", "caller", "requested_for", "assignment_group", "assignee"
    )


def my_requests(*, viewer) -> QuerySet:
    """What ``viewer`` ordered or was ordered for, newest first."""
    return (
        ServiceRequest.objects.filter(Q(caller=viewer) | Q(requested_for=viewer))
        .select_related("caller", "requested_for")
        .prefetch_related("items__catalog_item")
        .order_by("-opened_at", "-id")
    )


def items_of(request: ServiceRequest) -> QuerySet:
    return request.items.select_related("catalog_item", "assignment_group", "assignee").order_by(
        "pk"
    )


def plan_tasks_of(item: RequestItem) -> list[ItemTask]:
    """The item's tasks in plan order, each with its step and task."""
    return list(
        ItemTask.objects.filter(item=item)
        .select_related("step", "task", "task__assignment_group", "task__assignee")
        .order_by("step__order", "pk")
    )


def plan_task_of(task: Task) -> ItemTask | None:
    return ItemTask.objects.filter(task=task).select_related("item", "step").first()


def answer_values(item: RequestItem) -> dict:
    """The item's answers by field key: conditions and task variables read them."""
    from opsdesk.core.formschema import answer_values as values_of

    return values_of(item)


def answers_shown(item: RequestItem) -> list[tuple[str, str]]:
    """(label, value as shown) for each answer, in the form's order."""
    from opsdesk.core.formschema import answers_of

    return answers_of(item)


def pending_question(item: RequestItem) -> str:
    """What the desk last asked the requester (the words given with "ask")."""
    from opsdesk.core.timeline import timeline_for

    asked = (
        timeline_for(record=item, public_only=True)
        .filter(kind="state_change", data__to="info_needed")
        .order_by("-created_at", "-pk")
        .first()
    )
    return asked.body if asked else ""
