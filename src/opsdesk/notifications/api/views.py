"""Notifications API: my notifications and preferences; webhooks and mail log for admins."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from opsdesk.core.api.base import ServiceViewSet
from opsdesk.core.roles import is_admin
from opsdesk.notifications import selectors, services, webhooks
from opsdesk.notifications.api.serializers import (
    DeliverySerializer,
    InAppNotificationSerializer,
    MarkReadSerializer,
    PreferenceChangeSerializer,
    PreferenceSerializer,
    WebhookDeliverySerializer,
    WebhookSubscriptionSerializer,
)
from opsdesk.notifications.mailer import deliveries_retry
from opsdesk.notifications.models import Delivery, InAppNotification, WebhookDelivery


class IsAdmin(permissions.BasePermission):
    message = "Only administrators may do this."

    def has_permission(self, request, view):
        return is_admin(request.user)


class InAppFilterSet(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = InAppNotification
        fields = ["event", "unread"]


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The signed-in user's notifications; ``unread=true`` for the bell."""

    serializer_class = InAppNotificationSerializer
    filterset_class = InAppFilterSet
    queryset = InAppNotification.objects.none()  # for the schema; requests use the selector

    def get_queryset(self):
        return selectors.notification_list(viewer=self.request.user)

    @extend_schema(request=MarkReadSerializer, responses={200: None})
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        """Mark the given notifications (or all) read; returns how many changed."""
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changed = services.notifications_mark_read(
            actor=request.user, ids=body.validated_data.get("ids")
        )
        unread = selectors.notification_unread_count(viewer=request.user)
        return Response({"marked": changed, "unread": unread})


class PreferenceView(APIView):
    """Which events reach you by email and in the app; pages are always on."""

    @extend_schema(responses={200: PreferenceSerializer(many=True)})
    def get(self, request):
        return Response(
            PreferenceSerializer(selectors.preference_matrix(user=request.user), many=True).data
        )

    @extend_schema(
        request=PreferenceChangeSerializer, responses={200: PreferenceSerializer(many=True)}
    )
    def post(self, request):
        body = PreferenceChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.preference_set(actor=request.user, user=request.user, **body.validated_data)
        return self.get(request)


class WebhookSubscriptionViewSet(ServiceViewSet, mixins.DestroyModelMixin):
    """Outgoing webhook subscriptions (administrators only)."""

    permission_classes = [permissions.IsAuthenticated, IsAdmin]
    serializer_class = WebhookSubscriptionSerializer
    selector = staticmethod(selectors.subscription_list)
    filterset_fields = ["active"]
    search_fields = ["name", "url", "topics"]
    ordering_fields = ["id", "name"]

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return webhooks.webhook_subscription_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return webhooks.webhook_subscription_update(
            actor=actor, subscription=instance, expected_version=expected_version, **data
        )

    def perform_destroy(self, instance):
        webhooks.webhook_subscription_delete(actor=self.request.user, subscription=instance)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """This subscription's delivery log, newest first."""
        subscription = self.get_object()
        rows = selectors.webhook_delivery_list(viewer=request.user).filter(
            subscription=subscription
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Every webhook delivery (administrators only); retry the ones that gave up."""

    permission_classes = [permissions.IsAuthenticated, IsAdmin]
    serializer_class = WebhookDeliverySerializer
    filterset_fields = ["subscription", "state", "topic"]

    def get_queryset(self):
        return selectors.webhook_delivery_list(viewer=self.request.user)

    @extend_schema(request=None, responses={200: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        webhooks.webhook_deliveries_retry(ids=[delivery.pk])
        return Response(WebhookDeliverySerializer(WebhookDelivery.objects.get(pk=delivery.pk)).data)


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Outgoing mail and its state (administrators only); retry mail that gave up."""

    permission_classes = [permissions.IsAuthenticated, IsAdmin]
    serializer_class = DeliverySerializer
    filterset_fields = ["state", "event", "address", "record_number"]

    def get_queryset(self):
        return selectors.delivery_list(viewer=self.request.user)

    @extend_schema(request=None, responses={200: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        deliveries_retry(ids=[delivery.pk])
        return Response(DeliverySerializer(Delivery.objects.get(pk=delivery.pk)).data)
