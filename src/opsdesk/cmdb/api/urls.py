from django.urls import path
from rest_framework.routers import DefaultRouter

from opsdesk.cmdb.api import views

router = DefaultRouter()
router.register("classes", views.CIClassViewSet, basename="ci-class")
router.register("cis", views.ConfigurationItemViewSet, basename="ci")
router.register("relationships", views.RelationshipViewSet, basename="relationship")

urlpatterns = [
    path("import/", views.ImportView.as_view(), name="cmdb-import"),
    path("export/", views.ExportView.as_view(), name="cmdb-export"),
    *router.urls,
]
