"""``/scim/v2/``: the paths RFC 7644 §3.2 names, and SCIM errors for every other path."""

from django.urls import path, re_path

from opsdesk.access.scim import views

app_name = "scim"

urlpatterns = [
    path("Users", views.users, name="users"),
    path("Users/.search", views.users_search, name="users-search"),
    path("Users/<str:user_id>", views.user_detail, name="user"),
    path("Groups", views.groups, name="groups"),
    path("Groups/.search", views.groups_search, name="groups-search"),
    path("Groups/<str:team_id>", views.group_detail, name="group"),
    path("ServiceProviderConfig", views.service_provider_config_view, name="config"),
    path("ResourceTypes", views.resource_types_view, name="resource-types"),
    path("ResourceTypes/<str:name>", views.resource_types_view, name="resource-type"),
    path("Schemas", views.schemas_view, name="schemas"),
    path("Schemas/<str:urn>", views.schemas_view, name="schema"),
    path("Bulk", views.not_implemented, name="bulk"),
    path("Me", views.not_implemented, name="me"),
    path(".search", views.search_everything, name="search"),
    re_path(r"^.*$", views.not_found, name="not-found"),
]
