import django_filters
from django.db.models import Q

from opsdesk.cmdb.models import ConfigurationItem, Relationship


class ConfigurationItemFilterSet(django_filters.FilterSet):
    ci_class = django_filters.CharFilter(field_name="ci_class__key")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = ConfigurationItem
        fields = [
            "name",
            "ci_class",
            "status",
            "environment",
            "criticality",
            "supporting_team",
            "service_owner",
        ]


class RelationshipFilterSet(django_filters.FilterSet):
    ci = django_filters.NumberFilter(method="touching", label="Either end is this CI")

    class Meta:
        model = Relationship
        fields = ["source", "target", "type", "ci"]

    def touching(self, queryset, name, value):
        return queryset.filter(Q(source=value) | Q(target=value))
