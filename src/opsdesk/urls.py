from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from opsdesk.core.views import health
from opsdesk.reporting.views import prometheus

api_patterns = [
    path("", include("opsdesk.core.api.urls")),
    path("cmdb/", include("opsdesk.cmdb.api.urls")),
    path("sla/", include("opsdesk.sla.api.urls")),
    path("oncall/", include("opsdesk.oncall.api.urls")),
    path("approvals/", include("opsdesk.approvals.api")),
    path("access/", include("opsdesk.access.api.urls")),
    path("incidents/", include("opsdesk.incidents.api.urls")),
    path("problems/", include("opsdesk.problems.api.urls")),
    path("events/", include("opsdesk.events.api.urls")),
    path("requests/", include("opsdesk.service_requests.api.urls")),
    path("notifications/", include("opsdesk.notifications.api.urls")),
    path("servicedesk/", include("opsdesk.servicedesk.api.urls")),
    path("reports/", include("opsdesk.reporting.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file, so the page works under our strict CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Prometheus scrapes opsdesk's own gauges here, with a bearer token.
    path("metrics", prometheus.metrics, name="prometheus-metrics"),
    # Browsers and feed readers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", RedirectView.as_view(url=static("core/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    # Fixed paths that Prometheus and PagerDuty clients post to, outside our own /api/ tree.
    path("", include("opsdesk.events.ingest_urls")),
    path("api/", include(api_patterns)),
    # SCIM 2.0 service provider: identity providers push people and teams here.
    path("scim/v2/", include("opsdesk.access.scim.urls")),
    path("cmdb/", include("opsdesk.cmdb.urls")),
    path("sla/", include("opsdesk.sla.urls")),
    path("oncall/", include("opsdesk.oncall.urls")),
    path("approvals/", include("opsdesk.approvals.urls")),
    path("incidents/", include("opsdesk.incidents.urls")),
    path("problems/", include("opsdesk.problems.urls")),
    path("events/", include("opsdesk.events.urls")),
    path("notifications/", include("opsdesk.notifications.urls")),
    path("", include("opsdesk.access.urls")),
    path("", include("opsdesk.service_requests.urls")),
    path("portal/", include("opsdesk.servicedesk.urls")),
    path("reports/", include("opsdesk.reporting.urls")),
    path("", include("opsdesk.core.urls")),
]

handler400 = "opsdesk.core.views.errors.bad_request"
handler403 = "opsdesk.core.views.errors.permission_denied"
handler404 = "opsdesk.core.views.errors.page_not_found"
handler500 = "opsdesk.core.views.errors.server_error"
