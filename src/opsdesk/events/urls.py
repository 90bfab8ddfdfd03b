from django.urls import path

from opsdesk.events import views

app_name = "events"

urlpatterns = [
    path("", views.console, name="console"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/act", views.alert_act, name="alert-act"),
    path("integrations/", views.integration_list, name="integration-list"),
    path("integrations/new/", views.integration_create, name="integration-create"),
    path("integrations/<int:pk>/edit/", views.integration_edit, name="integration-edit"),
    path(
        "integrations/<int:pk>/rotate-secret/",
        views.integration_rotate,
        name="integration-rotate",
    ),
    path("rules/", views.rule_list, name="rule-list"),
    path("rules/new/", views.rule_create, name="rule-create"),
    path("rules/test/", views.rule_test, name="rule-test"),
    path("rules/<int:pk>/", views.rule_detail, name="rule-detail"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("maintenance/", views.window_list, name="window-list"),
    path("maintenance/new/", views.window_create, name="window-create"),
    path("maintenance/<int:pk>/edit/", views.window_edit, name="window-edit"),
    path("maintenance/<int:pk>/end/", views.window_end, name="window-end"),
    path("maintenance/<int:pk>/delete/", views.window_delete, name="window-delete"),
    path("heartbeats/", views.heartbeat_list, name="heartbeat-list"),
    path("heartbeats/new/", views.heartbeat_create, name="heartbeat-create"),
    path("heartbeats/<int:pk>/", views.heartbeat_detail, name="heartbeat-detail"),
    path("heartbeats/<int:pk>/edit/", views.heartbeat_edit, name="heartbeat-edit"),
    path("heartbeats/<int:pk>/pause/", views.heartbeat_pause, name="heartbeat-pause"),
]
