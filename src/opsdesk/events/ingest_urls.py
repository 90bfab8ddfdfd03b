"""Ingest endpoints at fixed paths that monitoring tools and job scripts expect."""

from django.urls import path

from opsdesk.events.api import ingest
from opsdesk.events.models import CheckInKind

heartbeat = ingest.HeartbeatCheckInView.as_view

urlpatterns = [
    path("api/v2/alerts", ingest.PrometheusAlertsView.as_view(), name="events-alertmanager-api"),
    path("v2/enqueue", ingest.PagerDutyEnqueueView.as_view(), name="events-pagerduty-enqueue"),
    # Check-ins from backup scripts and batch jobs: curl -fsS <opsdesk>/api/heartbeats/<token>
    path("api/heartbeats/<str:token>", heartbeat(), name="heartbeat-check-in"),
    path(
        "api/heartbeats/<str:token>/start",
        heartbeat(kind=CheckInKind.START),
        name="heartbeat-start",
    ),
    path(
        "api/heartbeats/<str:token>/fail", heartbeat(kind=CheckInKind.FAIL), name="heartbeat-fail"
    ),
]
