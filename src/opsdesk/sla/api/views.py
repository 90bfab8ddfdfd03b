"""SLA API: calendars and policies (administrators change, agents read), timers (read)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from opsdesk.core.api.base import ServiceViewSet
from opsdesk.core.api.permissions import IsAdminOrReadOnlyAgent, IsAgent
from opsdesk.sla import clock, policies, selectors
from opsdesk.sla.api.filtersets import SlaPolicyFilterSet, SlaTimerFilterSet
from opsdesk.sla.api.serializers import (
    BusinessCalendarSerializer,
    ComputeResultSerializer,
    ComputeSerializer,
    SlaPolicySerializer,
    SlaTimerSerializer,
)


class BusinessCalendarViewSet(ServiceViewSet, mixins.DestroyModelMixin):
    serializer_class = BusinessCalendarSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdminOrReadOnlyAgent]
    selector = staticmethod(selectors.calendar_list)
    search_fields = ["name", "description"]
    ordering_fields = ["id", "name"]
    filterset_fields = ["time_zone", "always_open", "holiday_country"]

    def create_record(self, *, actor, data):
        return policies.calendar_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return policies.calendar_update(
            actor=actor, calendar=instance, expected_version=expected_version, **data
        )

    def perform_destroy(self, instance):
        policies.config_delete(actor=self.request.user, instance=instance)

    @extend_schema(request=ComputeSerializer, responses={200: ComputeResultSerializer})
    @action(
        detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, IsAgent]
    )
    def compute(self, request, pk=None):
        """Add a business duration to an instant in this calendar: when would it be due?"""
        calendar = self.get_object()
        body = ComputeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        start, duration = body.validated_data["start"], body.validated_data["duration"]
        due = clock.compute_due(calendar, start, duration)
        spec = clock.calendar_spec(calendar, around=start)
        result = {
            "start": start,
            "duration": duration,
            "due": due,
            "due_local": due.astimezone(spec.zone).isoformat(),
        }
        return Response(ComputeResultSerializer(result).data)


class SlaPolicyViewSet(ServiceViewSet, mixins.DestroyModelMixin):
    serializer_class = SlaPolicySerializer
    permission_classes = [permissions.IsAuthenticated, IsAdminOrReadOnlyAgent]
    selector = staticmethod(selectors.policy_list)
    filterset_class = SlaPolicyFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["id", "order", "name"]

    def create_record(self, *, actor, data):
        return policies.policy_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return policies.policy_update(
            actor=actor, policy=instance, expected_version=expected_version, **data
        )

    def perform_destroy(self, instance):
        policies.config_delete(actor=self.request.user, instance=instance)


class SlaTimerViewSet(viewsets.ReadOnlyModelViewSet):
    """The clocks on records, each with its history; filter by record with ``object_id``."""

    serializer_class = SlaTimerSerializer
    permission_classes = [permissions.IsAuthenticated, IsAgent]
    filterset_class = SlaTimerFilterSet
    ordering_fields = ["id", "due_at", "started_at"]

    def get_queryset(self):
        return selectors.timer_list(viewer=self.request.user).prefetch_related("events")

    def get_serializer_context(self):
        now = timezone.now()
        return {
            **super().get_serializer_context(),
            "remaining": lambda timer: clock.remaining_at(timer, now),
        }
