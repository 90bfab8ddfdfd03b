"""Events API: integrations, rules (with the dry run), windows, heartbeats, alerts, events."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from opsdesk.core.api.base import ServiceViewSet
from opsdesk.core.api.permissions import IsAdminOrReadOnlyAgent, IsAgent
from opsdesk.events import heartbeats, selectors, services
from opsdesk.events.api import serializers as s
from opsdesk.events.models import Integration


class AdminWrites(ServiceViewSet):
    permission_classes = [permissions.IsAuthenticated, IsAdminOrReadOnlyAgent]


class IntegrationViewSet(AdminWrites):
    """Monitoring tools that send events; the secret is shown once, when created."""

    serializer_class = s.IntegrationSerializer
    selector = staticmethod(selectors.integration_list)
    ordering = ["name"]

    def create_record(self, *, actor, data):
        integration, secret = services.integration_create(actor=actor, **data)
        integration.new_secret = secret
        return integration

    def update_record(self, *, actor, instance, data, expected_version):
        return services.integration_update(
            actor=actor, integration=instance, expected_version=expected_version, **data
        )

    @extend_schema(request=None, responses=s.IntegrationSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        integration = self.get_object()
        integration.new_secret = services.integration_rotate_secret(
            actor=request.user, integration=integration
        )
        return Response(s.IntegrationSerializer(integration).data)


class RuleViewSet(AdminWrites, mixins.DestroyModelMixin):
    """Ordered rules: conditions on events, actions to take."""

    serializer_class = s.RuleSerializer
    selector = staticmethod(selectors.rule_list)
    ordering = ["order", "id"]

    def perform_destroy(self, instance):
        services.rule_delete(actor=self.request.user, rule=instance)

    def create_record(self, *, actor, data):
        return services.rule_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.rule_update(
            actor=actor, rule=instance, expected_version=expected_version, **data
        )

    @extend_schema(request=s.DryRunSerializer, responses=dict)
    @action(detail=False, methods=["post"], permission_classes=[IsAgent])
    def test(self, request):
        """Test this payload: which rules match each event and what would happen."""
        serializer = s.DryRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response(
            services.rules_dry_run(
                integration=data["integration"], payload=data["payload"], format=data.get("format")
            )
        )


class MaintenanceWindowViewSet(AdminWrites, mixins.DestroyModelMixin):
    serializer_class = s.MaintenanceWindowSerializer
    selector = staticmethod(selectors.window_list)
    permission_classes = [permissions.IsAuthenticated, IsAgent]
    ordering = ["-starts_at"]

    def perform_destroy(self, instance):
        services.window_delete(actor=self.request.user, window=instance)

    def create_record(self, *, actor, data):
        return services.window_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.window_update(
            actor=actor, window=instance, expected_version=expected_version, **data
        )


class HeartbeatViewSet(AdminWrites):
    serializer_class = s.HeartbeatSerializer
    selector = staticmethod(selectors.heartbeat_list)
    ordering = ["name"]

    def create_record(self, *, actor, data):
        return heartbeats.heartbeat_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return heartbeats.heartbeat_update(
            actor=actor, heartbeat=instance, expected_version=expected_version, **data
        )


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts, newest activity first; operators acknowledge, resolve or suppress them."""

    serializer_class = s.AlertSerializer
    permission_classes = [permissions.IsAuthenticated, IsAgent]
    filterset_fields = ["status", "severity", "integration", "ci", "service", "team", "flapping"]
    search_fields = ["summary", "resource", "check_name", "fingerprint"]
    ordering = ["-last_seen", "-id"]
    ordering_fields = ["last_seen", "first_seen", "id"]

    def get_queryset(self):
        return selectors.alert_list(viewer=self.request.user).prefetch_related("incident_links")

    @extend_schema(request=s.AlertActionSerializer, responses=s.AlertSerializer)
    @action(detail=True, methods=["post"])
    def act(self, request, pk=None):
        serializer = s.AlertActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alert = services.alert_act(
            actor=request.user, alert=self.get_object(), action=serializer.validated_data["action"]
        )
        return Response(s.AlertSerializer(alert).data)


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Raw events as received, with their normalised reading and processing state."""

    serializer_class = s.EventSerializer
    permission_classes = [permissions.IsAuthenticated, IsAgent]
    filterset_fields = ["integration", "state", "alert", "action", "severity"]
    ordering = ["-id"]

    def get_queryset(self):
        return selectors.event_list(viewer=self.request.user)


def integration_or_404(pk) -> Integration:
    return get_object_or_404(Integration, pk=pk)
