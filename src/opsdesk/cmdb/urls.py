from django.urls import path

from opsdesk.cmdb import views

app_name = "cmdb"

urlpatterns = [
    path("", views.ci_list, name="ci-list"),
    path("new/", views.ci_create, name="ci-create"),
    path("<int:pk>/", views.ci_detail, name="ci-detail"),
    path("<int:pk>/edit/", views.ci_edit, name="ci-edit"),
    path("<int:pk>/relationships/", views.relationship_add, name="relationship-add"),
    path(
        "<int:pk>/relationships/<int:rel_pk>/delete/",
        views.relationship_delete,
        name="relationship-delete",
    ),
]
