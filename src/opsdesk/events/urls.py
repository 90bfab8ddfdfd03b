from django.urls import path

from opsdesk.events import views

app_name = "events"

urlpatterns = [
    path("", views.console, name="console"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/act", views.alert_act, name="alert-act"),
    path("integrations/", views.integration_list, name="integration-list"),
    path("rules/", views.rule_list, name="rule-list"),
    path("maintenance/", views.window_list, name="window-list"),
    path("heartbeats/", views.heartbeat_list, name="heartbeat-list"),
    path("heartbeats/<int:pk>/", views.heartbeat_detail, name="heartbeat-detail"),
]
