"""REST API of servicedesk."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from opsdesk.servicedesk.api import inbound, views

router = DefaultRouter()
router.register("articles", views.ArticleViewSet, basename="kb-article")
router.register("article-categories", views.CategoryViewSet, basename="kb-category")
router.register("article-links", views.ArticleLinkViewSet, basename="kb-link")
router.register("canned-responses", views.CannedResponseViewSet, basename="canned-response")
router.register("surveys", views.SurveyViewSet, basename="survey")

urlpatterns = [
    path("inbound/email", inbound.inbound_email, name="servicedesk-inbound-email"),
    *router.urls,
]
