from django.urls import path

from opsdesk.approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("requests/<int:pk>/decide/", views.decide, name="decide"),
    path("decide/<str:token>/", views.link_decide, name="link"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/<int:pk>/end/", views.delegation_end, name="delegation-end"),
    path("schemes/", views.schemes, name="schemes"),
    path("schemes/new/", views.scheme_edit, name="scheme-new"),
    path("schemes/<int:pk>/", views.scheme_edit, name="scheme-edit"),
]
