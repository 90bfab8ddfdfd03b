import django_filters

from opsdesk.core.models import ApiToken, Team, User


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
