from django.urls import path

from opsdesk.sla import views

app_name = "sla"

urlpatterns = [
    path("calendars/", views.calendar_list, name="calendar-list"),
    path("calendars/<int:pk>/", views.calendar_detail, name="calendar-detail"),
    path("policies/", views.policy_list, name="policy-list"),
    path("policies/<int:pk>/", views.policy_detail, name="policy-detail"),
]
