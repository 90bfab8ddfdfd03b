"""REST API of reporting, under /api/reports/."""

from django.urls import path

from opsdesk.reporting.api import views

urlpatterns = [
    path("metrics/", views.MetricListView.as_view(), name="report-metric-list"),
    path("metrics/<str:key>/", views.MetricResultView.as_view(), name="report-metric"),
    path(
        "metrics/<str:key>/records/",
        views.MetricRecordsView.as_view(),
        name="report-metric-records",
    ),
]
