from django.urls import path

from opsdesk.problems.views import pages, trends

app_name = "problems"

urlpatterns = [
    path("", pages.queue, name="queue"),
    path("new/", pages.create, name="create"),
    path("suggest/", pages.suggest, name="suggest"),
    path("trends/", trends.candidates, name="trends"),
    path("trends/look/", trends.look, name="trends_look"),
    path("trends/<int:pk>/accept/", trends.accept, name="trend_accept"),
    path("trends/<int:pk>/dismiss/", trends.dismiss, name="trend_dismiss"),
    path("from-incidents/", pages.from_incidents, name="from-incidents"),
    path("known-errors.csv", pages.kedb_export, name="kedb-export"),
    path("<str:number>/", pages.detail, name="detail"),
    path("<str:number>/edit/<slug:part>/", pages.edit, name="edit"),
    path("<str:number>/apply/", pages.apply, name="apply"),
    path("<str:number>/<slug:name>/", pages.action, name="action"),
]
