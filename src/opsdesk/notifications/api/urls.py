"""REST API of notifications, under /api/notifications/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from opsdesk.notifications.api import views

router = DefaultRouter()
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("webhooks", views.WebhookSubscriptionViewSet, basename="webhook-subscription")
router.register("webhook-deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("deliveries", views.DeliveryViewSet, basename="mail-delivery")

urlpatterns = [
    *router.urls,
    path("preferences/", views.PreferenceView.as_view(), name="notification-preferences"),
]
