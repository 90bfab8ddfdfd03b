"""REST API of on-call, under /api/oncall/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from opsdesk.oncall.api import views

router = DefaultRouter()
router.register("schedules", views.ScheduleViewSet, basename="schedule")
router.register("overrides", views.OverrideViewSet, basename="override")
router.register("escalation-policies", views.EscalationPolicyViewSet, basename="escalation-policy")

urlpatterns = [
    *router.urls,
    path("teams/<int:team_id>/now/", views.team_on_call_now, name="oncall-team-now"),
]
