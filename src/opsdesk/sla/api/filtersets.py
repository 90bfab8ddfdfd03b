import django_filters

from opsdesk.sla.models import SlaPolicy, SlaTimer


class SlaPolicyFilterSet(django_filters.FilterSet):
    class Meta:
        model = SlaPolicy
        fields = ["record_type", "active", "response_calendar", "resolution_calendar"]


class SlaTimerFilterSet(django_filters.FilterSet):
    content_type = django_filters.CharFilter(method="filter_content_type", help_text="app.model")
    breached = django_filters.BooleanFilter(
        field_name="breached_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = SlaTimer
        fields = ["record_type", "object_id", "kind", "state", "team", "policy", "cycle"]

    def filter_content_type(self, queryset, name, value):
        app_label, _, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)
