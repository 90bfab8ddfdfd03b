import django_filters

from opsdesk.oncall.models import EscalationPolicy, Override, Schedule


class ScheduleFilterSet(django_filters.FilterSet):
    participant = django_filters.NumberFilter(field_name="layers__places__user", distinct=True)

    class Meta:
        model = Schedule
        fields = ["team", "name", "participant"]


class OverrideFilterSet(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="schedule__team")
    ends_after = django_filters.IsoDateTimeFilter(field_name="end", lookup_expr="gt")
    starts_before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = Override
        fields = ["schedule", "user", "team", "ends_after", "starts_before"]


class EscalationPolicyFilterSet(django_filters.FilterSet):
    class Meta:
        model = EscalationPolicy
        fields = ["team", "name"]
