"""REST API of sla, mounted at /api/sla/."""

from rest_framework.routers import DefaultRouter

from opsdesk.sla.api import views

router = DefaultRouter()
router.register("calendars", views.BusinessCalendarViewSet, basename="sla-calendar")
router.register("policies", views.SlaPolicyViewSet, basename="sla-policy")
router.register("timers", views.SlaTimerViewSet, basename="sla-timer")

urlpatterns = router.urls
