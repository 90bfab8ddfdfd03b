"""REST API of problem management."""

from rest_framework.routers import DefaultRouter

from opsdesk.problems.api import views

router = DefaultRouter()
router.register("problems", views.ProblemViewSet, basename="problem")
urlpatterns = router.urls
