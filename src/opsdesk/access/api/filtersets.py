"""Filters of the access management API's lists."""

import django_filters
from django.utils import timezone

from opsdesk.access.models import (
    AccessRequest,
    AccessRequestState,
    Entitlement,
    EntitlementKind,
    Grant,
    GrantSource,
    GrantState,
    ProvisioningStep,
    ReviewItem,
    Risk,
    SodViolation,
    StepAction,
    StepState,
    ViolationState,
)
from opsdesk.access.selectors import held_on_day
from opsdesk.core.errors import ValidationFailed


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """``?state=scheduled,active``: any of the listed values, each checked against the choices."""


class EntitlementFilterSet(django_filters.FilterSet):
    risk = ChoiceInFilter(choices=Risk.choices, lookup_expr="in")
    kind = django_filters.ChoiceFilter(choices=EntitlementKind.choices)
    owner = django_filters.CharFilter(field_name="owner__username", help_text="A username.")
    target = django_filters.CharFilter(field_name="target__name", help_text="A target's name.")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Entitlement
        fields = ["application", "risk", "kind", "owner", "target", "active", "name"]


class AccessRequestFilterSet(django_filters.FilterSet):
    state = ChoiceInFilter(choices=AccessRequestState.choices, lookup_expr="in")
    package = django_filters.CharFilter(field_name="package__slug", help_text="A package's slug.")
    requested_for = django_filters.CharFilter(
        field_name="requested_for__username", help_text="A username."
    )
    caller = django_filters.CharFilter(field_name="caller__username", help_text="A username.")

    class Meta:
        model = AccessRequest
        fields = ["state", "package", "requested_for", "caller"]


class GrantFilterSet(django_filters.FilterSet):
    holder = django_filters.CharFilter(field_name="holder__username", help_text="A username.")
    state = ChoiceInFilter(choices=GrantState.choices, lookup_expr="in")
    source = ChoiceInFilter(choices=GrantSource.choices, lookup_expr="in")
    risk = ChoiceInFilter(field_name="entitlement__risk", choices=Risk.choices, lookup_expr="in")
    application = django_filters.NumberFilter(field_name="entitlement__application")
    expiring_before = django_filters.IsoDateTimeFilter(
        method="filter_expiring_before",
        help_text="Active grants that end before this moment (and have not ended yet).",
    )
    held_on = django_filters.DateFilter(
        method="filter_held_on",
        help_text="Grants held at any time during this day (in the server's time zone), "
        "ended ones included: what a person had on a given date.",
    )

    class Meta:
        model = Grant
        fields = [
            "holder",
            "entitlement",
            "application",
            "state",
            "source",
            "risk",
            "expiring_before",
            "held_on",
        ]

    def filter_expiring_before(self, queryset, name, value):
        return queryset.filter(
            state=GrantState.ACTIVE, valid_to__isnull=False, valid_to__lte=value
        ).filter(valid_to__gt=timezone.now())

    def filter_held_on(self, queryset, name, value):
        try:
            return held_on_day(queryset, value)
        except OverflowError:
            raise ValidationFailed(
                "That day is out of range.", fields={"held_on": ["Give a day before 9999."]}
            ) from None


class ProvisioningStepFilterSet(django_filters.FilterSet):
    state = ChoiceInFilter(choices=StepState.choices, lookup_expr="in")
    action = django_filters.ChoiceFilter(choices=StepAction.choices)
    person = django_filters.CharFilter(field_name="person__username", help_text="A username.")
    target = django_filters.CharFilter(field_name="target__name", help_text="A target's name.")
    manual = django_filters.BooleanFilter(
        field_name="target", lookup_expr="isnull", help_text="Done by hand: no connector."
    )

    class Meta:
        model = ProvisioningStep
        fields = ["state", "action", "grant", "person", "target", "manual", "batch"]


class ReviewItemFilterSet(django_filters.FilterSet):
    reviewer = django_filters.CharFilter(
        field_name="reviewer__username",
        help_text="A reviewer's username; without it (or ``campaign``) you get your own items.",
    )
    decided = django_filters.BooleanFilter(method="filter_decided")
    decision = django_filters.ChoiceFilter(
        choices=[(k, v) for k, v in ReviewItem._meta.get_field("decision").choices if k]
    )

    class Meta:
        model = ReviewItem
        fields = ["campaign", "stage", "reviewer", "decided", "decision"]

    def filter_decided(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(decision="") if value else queryset.filter(decision="")


class ViolationFilterSet(django_filters.FilterSet):
    state = ChoiceInFilter(choices=ViolationState.choices, lookup_expr="in")
    person = django_filters.CharFilter(field_name="person__username", help_text="A username.")

    class Meta:
        model = SodViolation
        fields = ["state", "rule", "person"]
