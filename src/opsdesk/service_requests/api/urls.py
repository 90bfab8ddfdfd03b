"""REST API of request fulfilment."""

from rest_framework.routers import DefaultRouter

from opsdesk.service_requests.api import views

router = DefaultRouter()
router.register("categories", views.CategoryViewSet, basename="catalog-category")
router.register("catalog", views.CatalogItemViewSet, basename="catalog-item")
router.register("requests", views.ServiceRequestViewSet, basename="service-request")
router.register("items", views.RequestItemViewSet, basename="request-item")
urlpatterns = router.urls
