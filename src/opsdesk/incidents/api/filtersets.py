import django_filters

from opsdesk.incidents.models import Channel, Incident, State


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """``?state=new,in_progress``: any of the listed values, each checked against the choices."""


class NumberInFilter(django_filters.BaseInFilter, django_filters.NumberFilter):
    pass


class IncidentFilterSet(django_filters.FilterSet):
    state = ChoiceInFilter(choices=State.choices, lookup_expr="in")
    channel = ChoiceInFilter(choices=Channel.choices, lookup_expr="in")
    priority = NumberInFilter(field_name="priority", lookup_expr="in")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    open = django_filters.BooleanFilter(method="filter_open")
    opened_after = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    resolved_after = django_filters.IsoDateTimeFilter(field_name="resolved_at", lookup_expr="gte")
    resolved_before = django_filters.IsoDateTimeFilter(field_name="resolved_at", lookup_expr="lt")
    watcher = django_filters.NumberFilter(field_name="watchers")
    affected_service = django_filters.NumberFilter(field_name="affected_services")

    class Meta:
        model = Incident
        fields = [
            "number",
            "state",
            "priority",
            "impact",
            "urgency",
            "channel",
            "category",
            "subcategory",
            "service",
            "ci",
            "assignment_group",
            "assignee",
            "caller",
            "opened_by",
            "is_major",
            "major_proposed",
            "confidential",
            "parent",
            "hold_reason",
            "resolution_code",
            "unassigned",
            "open",
            "opened_after",
            "opened_before",
            "resolved_after",
            "resolved_before",
            "watcher",
            "affected_service",
        ]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        from opsdesk.incidents.models import OPEN_STATES

        return (
            queryset.filter(state__in=OPEN_STATES)
            if value
            else queryset.exclude(state__in=OPEN_STATES)
        )
