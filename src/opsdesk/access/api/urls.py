"""REST API of access management, under /api/access/."""

from rest_framework.routers import DefaultRouter

from opsdesk.access.api import views

router = DefaultRouter()
router.register("entitlements", views.EntitlementViewSet, basename="access-entitlement")
router.register("packages", views.PackageViewSet, basename="access-package")
router.register("requests", views.AccessRequestViewSet, basename="access-request")
router.register("grants", views.GrantViewSet, basename="access-grant")
router.register(
    "provisioning-steps", views.ProvisioningStepViewSet, basename="access-provisioning-step"
)
router.register("campaigns", views.CampaignViewSet, basename="access-campaign")
router.register("review-items", views.ReviewItemViewSet, basename="access-review-item")
router.register("violations", views.ViolationViewSet, basename="access-violation")
router.register("people", views.PersonViewSet, basename="access-person")
urlpatterns = router.urls
