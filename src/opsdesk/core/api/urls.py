from django.urls import path
from rest_framework.routers import DefaultRouter

from opsdesk.core.api import records, tasks, views

router = DefaultRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("search", views.SearchViewSet, basename="search")
router.register("tasks", tasks.TaskViewSet, basename="task")

RECORD = "records/<str:record_type>/<int:id>/"

urlpatterns = [
    *router.urls,
    path(
        f"{RECORD}attachments/",
        records.RecordAttachmentsView.as_view(),
        name="record-attachments",
    ),
    path(
        f"{RECORD}attachments/<int:attachment_id>/",
        records.RecordAttachmentView.as_view(),
        name="record-attachment",
    ),
    path(f"{RECORD}links/", records.RecordLinksView.as_view(), name="record-links"),
    path(f"{RECORD}links/<int:link_id>/", records.RecordLinkView.as_view(), name="record-link"),
]
