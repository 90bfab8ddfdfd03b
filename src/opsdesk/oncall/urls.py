from django.urls import path

from opsdesk.oncall import views

app_name = "oncall"

urlpatterns = [
    path("", views.index, name="index"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule-detail"),
    path("schedules/<int:pk>/overrides/new/", views.override_new, name="override-new"),
    path("feed/", views.feed_links, name="feed-links"),
    path("ical/team/<int:team_id>.ics", views.ical_team, name="ical-team"),
    path("ical/user/<int:user_id>.ics", views.ical_user, name="ical-user"),
]
