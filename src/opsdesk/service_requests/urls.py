"""Mounted at the site's root: the desk's pages under requests/, the requester's under
portal/ beside the rest of the portal."""

from django.urls import path

from opsdesk.service_requests.views import catalog, desk, portal

app_name = "service_requests"

urlpatterns = [
    # The portal: order from the catalog, follow what you ordered.
    path("portal/catalog/", portal.catalog, name="catalog"),
    path("portal/catalog/<slug:slug>/", portal.catalog_item, name="catalog-item"),
    path("portal/requests/", portal.my_requests, name="my-requests"),
    path("portal/requests/<str:number>/", portal.portal_request, name="portal-request"),
    path(
        "portal/requests/<str:number>/<slug:action>/",
        portal.portal_item_action,
        name="portal-action",
    ),
    # The desk.
    path("requests/items/", desk.item_queue, name="item-queue"),
    path("requests/items/<str:number>/", desk.item_detail, name="item-detail"),
    path("requests/items/<str:number>/<slug:name>/", desk.item_action, name="item-action"),
    path("requests/tasks/<int:pk>/skip/", desk.task_skip, name="task-skip"),
    # The catalog manager's pages.
    path("requests/catalog/", catalog.catalog_manage, name="catalog-manage"),
    path("requests/catalog/new/", catalog.item_edit, name="catalog-item-new"),
    path("requests/catalog/categories/new/", catalog.category_edit, name="category-new"),
    path("requests/catalog/categories/<slug:slug>/", catalog.category_edit, name="category-edit"),
    path("requests/catalog/<slug:slug>/", catalog.item_edit, name="catalog-item-edit"),
    path("requests/catalog/<slug:slug>/steps/", catalog.item_steps, name="catalog-steps"),
    path(
        "requests/catalog/<slug:slug>/steps/<int:step_pk>/",
        catalog.item_steps,
        name="catalog-step",
    ),
    path("requests/<str:number>/", desk.request_detail, name="request-detail"),
]
