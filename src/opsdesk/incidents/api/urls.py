"""REST API of incident management."""

from rest_framework.routers import DefaultRouter

from opsdesk.incidents.api import views

router = DefaultRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("categories", views.CategoryViewSet, basename="incident-category")
router.register("resolution-codes", views.ResolutionCodeViewSet, basename="resolution-code")
router.register("priority-matrix", views.PriorityMatrixViewSet, basename="priority-matrix")
router.register("assignment-rules", views.AssignmentRuleViewSet, basename="assignment-rule")
urlpatterns = router.urls
