from django.urls import path

from opsdesk.events.views import alerts, heartbeats, integrations, rules, windows

app_name = "events"

urlpatterns = [
    path("", alerts.console, name="console"),
    path("alerts/<int:pk>/", alerts.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/act", alerts.alert_act, name="alert-act"),
    path("integrations/", integrations.integration_list, name="integration-list"),
    path("integrations/new/", integrations.integration_create, name="integration-create"),
    path("integrations/<int:pk>/edit/", integrations.integration_edit, name="integration-edit"),
    path(
        "integrations/<int:pk>/rotate-secret/",
        integrations.integration_rotate,
        name="integration-rotate",
    ),
    path("rules/", rules.rule_list, name="rule-list"),
    path("rules/new/", rules.rule_create, name="rule-create"),
    path("rules/test/", rules.rule_test, name="rule-test"),
    path("rules/<int:pk>/", rules.rule_detail, name="rule-detail"),
    path("rules/<int:pk>/edit/", rules.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/delete/", rules.rule_delete, name="rule-delete"),
    path("maintenance/", windows.window_list, name="window-list"),
    path("maintenance/new/", windows.window_create, name="window-create"),
    path("maintenance/<int:pk>/edit/", windows.window_edit, name="window-edit"),
    path("maintenance/<int:pk>/end/", windows.window_end, name="window-end"),
    path("maintenance/<int:pk>/delete/", windows.window_delete, name="window-delete"),
    path("heartbeats/", heartbeats.heartbeat_list, name="heartbeat-list"),
    path("heartbeats/new/", heartbeats.heartbeat_create, name="heartbeat-create"),
    path("heartbeats/<int:pk>/", heartbeats.heartbeat_detail, name="heartbeat-detail"),
    path("heartbeats/<int:pk>/edit/", heartbeats.heartbeat_edit, name="heartbeat-edit"),
    path("heartbeats/<int:pk>/pause/", heartbeats.heartbeat_pause, name="heartbeat-pause"),
]
