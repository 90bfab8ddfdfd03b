from django.urls import path

from opsdesk.sla import views

app_name = "sla"

urlpatterns = [
    path("calendars/", views.calendar_list, name="calendar-list"),
    path("calendars/new/", views.calendar_create, name="calendar-create"),
    path("calendars/<int:pk>/", views.calendar_detail, name="calendar-detail"),
    path("calendars/<int:pk>/edit/", views.calendar_edit, name="calendar-edit"),
    path("policies/", views.policy_list, name="policy-list"),
    path("policies/new/", views.policy_create, name="policy-create"),
    path("policies/<int:pk>/", views.policy_detail, name="policy-detail"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy-edit"),
]
