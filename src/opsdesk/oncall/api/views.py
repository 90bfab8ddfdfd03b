"""On-call API: schedules, overrides and escalation policies, and who is on call."""

from datetime import UTC, timedelta

from django.shortcuts import get_object_or_404
from django.utils import dateparse, timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response

from opsdesk.core.api.base import ServiceViewSet
from opsdesk.core.api.permissions import IsAgent
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import Team
from opsdesk.oncall import selectors, services
from opsdesk.oncall.api.filtersets import (
    EscalationPolicyFilterSet,
    OverrideFilterSet,
    ScheduleFilterSet,
)
from opsdesk.oncall.api.serializers import (
    EscalationPolicySerializer,
    OnCallNowSerializer,
    OverrideSerializer,
    ScheduleSerializer,
    ScheduleSpansSerializer,
)

# A longer window is a report, not a schedule view; it also bounds the work per request.
MAX_WINDOW = timedelta(days=93)


def parse_instant(value: str | None, field: str, default=None):
    """An ISO 8601 instant from a query parameter; one without an offset is read as UTC."""
    if value in (None, ""):
        return default
    try:
        parsed = dateparse.parse_datetime(value.replace(" ", "+"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationFailed(
            f"{field} is not a date and time.",
            fields={field: ["Use ISO 8601, for example 2025-03-31T09:00:00Z."]},
        )
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


class OnCallViewSet(ServiceViewSet, mixins.DestroyModelMixin):
    """Agents read; administrators and the team's lead change (checked by the services)."""

    permission_classes = [permissions.IsAuthenticated, IsAgent]


class ScheduleViewSet(OnCallViewSet):
    """On-call schedules with their layers; send ``layers`` to replace them all."""

    serializer_class = ScheduleSerializer
    filterset_class = ScheduleFilterSet
    selector = staticmethod(selectors.schedule_list)
    search_fields = ["name", "team__name"]
    ordering_fields = ["id", "name"]

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return services.schedule_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.schedule_update(
            actor=actor, schedule=instance, expected_version=expected_version, **data
        )

    def perform_destroy(self, instance):
        services.schedule_delete(actor=self.request.user, schedule=instance)

    def perform_create(self, serializer):
        super().perform_create(serializer)
        # Reload with layers and participants prefetched for the response.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="ISO 8601; default now"),
            OpenApiParameter("end", str, description="ISO 8601; default start + 28 days"),
        ],
        responses={200: ScheduleSpansSerializer},
    )
    @action(detail=True, methods=["get"])
    def spans(self, request, pk=None):
        """Who is on call between start and end, as merged spans, and the gaps in coverage."""
        schedule = self.get_object()
        start = parse_instant(request.query_params.get("start"), "start", timezone.now())
        end = parse_instant(request.query_params.get("end"), "end", start + timedelta(days=28))
        if end <= start:
            raise ValidationFailed("end must be after start.", fields={"end": ["After start."]})
        if end - start > MAX_WINDOW:
            raise ValidationFailed(
                "Ask for at most 93 days at a time.", fields={"end": ["At most 93 days."]}
            )
        spans, gaps = selectors.schedule_final(schedule=schedule, start=start, end=end)
        body = {"schedule": schedule.pk, "start": start, "end": end, "spans": spans, "gaps": gaps}
        return Response(ScheduleSpansSerializer(body).data)


class OverrideViewSet(OnCallViewSet):
    """One-off cover: someone is on call for a span, whatever the layers say."""

    serializer_class = OverrideSerializer
    filterset_class = OverrideFilterSet
    selector = staticmethod(selectors.override_list)
    ordering_fields = ["id", "start", "end"]

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return services.override_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.override_update(
            actor=actor, override=instance, expected_version=expected_version, **data
        )

    def perform_destroy(self, instance):
        services.override_delete(actor=self.request.user, override=instance)


class EscalationPolicyViewSet(OnCallViewSet):
    """Escalation policies: ordered steps, a delay after each, repeated N times."""

    serializer_class = EscalationPolicySerializer
    filterset_class = EscalationPolicyFilterSet
    selector = staticmethod(selectors.escalation_policy_list)
    search_fields = ["name", "team__name"]
    ordering_fields = ["id", "name"]

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return services.escalation_policy_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.escalation_policy_update(
            actor=actor, policy=instance, expected_version=expected_version, **data
        )

    def perform_destroy(self, instance):
        services.escalation_policy_delete(actor=self.request.user, policy=instance)


@extend_schema(
    parameters=[OpenApiParameter("at", str, description="ISO 8601 instant; default now")],
    responses={200: OnCallNowSerializer},
)
@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated, IsAgent])
def team_on_call_now(request, team_id: int):
    """Who is on call for the team at ``at`` (default now); an empty list is a gap."""
    team = get_object_or_404(Team, pk=team_id)
    at = parse_instant(request.query_params.get("at"), "at", timezone.now())
    users = selectors.oncall_now(team=team, at=at)
    return Response(OnCallNowSerializer({"team": team.pk, "at": at, "on_call": users}).data)
