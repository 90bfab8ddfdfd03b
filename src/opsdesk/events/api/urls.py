"""REST API of events, and the per-integration ingest URLs."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from opsdesk.events.api import ingest, views

router = DefaultRouter()
router.register("integrations", views.IntegrationViewSet, basename="integration")
router.register("rules", views.RuleViewSet, basename="event-rule")
router.register(
    "maintenance-windows", views.MaintenanceWindowViewSet, basename="maintenance-window"
)
router.register("heartbeats", views.HeartbeatViewSet, basename="heartbeat")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("events", views.EventViewSet, basename="event")

urlpatterns = [
    path("ingest", ingest.GenericIngestView.as_view(), name="events-ingest"),
    path(
        "integrations/<str:token>/events",
        ingest.GenericIngestView.as_view(),
        name="events-ingest-integration",
    ),
    path(
        "integrations/<str:token>/alertmanager",
        ingest.AlertmanagerWebhookView.as_view(),
        name="events-ingest-alertmanager",
    ),
    # Prometheus with path_prefix set to the integration's URL posts here.
    path(
        "integrations/<str:token>/api/v2/alerts",
        ingest.PrometheusAlertsView.as_view(),
        name="events-ingest-prometheus",
    ),
    *router.urls,
]
