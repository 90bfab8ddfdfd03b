from rest_framework.routers import DefaultRouter

from opsdesk.core.api import views

router = DefaultRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("search", views.SearchViewSet, basename="search")

urlpatterns = router.urls
