import django_filters
from django.contrib.contenttypes.models import ContentType

from opsdesk.core.models import ApiToken, Task, TaskState, Team, User
from opsdesk.core.tickets.registry import ticket_by_number


class UserFilterSet(django_filters.FilterSet):
    role = django_filters.CharFilter(field_name="groups__name")
    team = django_filters.NumberFilter(field_name="teams")

    class Meta:
        model = User
        fields = [
            "username",
            "email",
            "department",
            "location",
            "is_vip",
            "is_active",
            "manager",
            "role",
            "team",
        ]


class TeamFilterSet(django_filters.FilterSet):
    member = django_filters.NumberFilter(field_name="members")

    class Meta:
        model = Team
        fields = ["name", "type", "lead", "escalation_team", "member"]


class ApiTokenFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull")

    class Meta:
        model = ApiToken
        fields = ["user", "read_only", "active"]


class TaskFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=TaskState.choices)
    priority = django_filters.NumberFilter()
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    parent = django_filters.CharFilter(method="filter_parent", help_text="The parent's number.")

    class Meta:
        model = Task
        fields = ["number", "state", "priority", "assignment_group", "assignee", "unassigned"]

    def filter_parent(self, queryset, name, value):
        parent = ticket_by_number(value)
        if parent is None:
            return queryset.none()
        return queryset.filter(
            parent_type=ContentType.objects.get_for_model(parent), parent_id=parent.pk
        )
