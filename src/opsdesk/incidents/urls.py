from django.urls import path

from opsdesk.incidents import paging_views, views

app_name = "incidents"

urlpatterns = [
    path("", views.queue, name="queue-default"),
    path("queue/<slug:name>/", views.queue, name="queue"),
    path("new/", views.incident_create, name="create"),
    path("new/preview/", views.preview, name="preview"),
    path("bulk/", views.bulk_update, name="bulk"),
    path("queue/<slug:name>/save/", views.saved_filter_save, name="saved-filter-save"),
    path("saved-filters/<int:pk>/delete/", views.saved_filter_delete, name="saved-filter-delete"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/do/<slug:name>/", views.incident_action, name="action"),
    path("page/<str:token>/", paging_views.page_acknowledge, name="page-ack"),
]
