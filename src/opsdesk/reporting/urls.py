from django.urls import path

from opsdesk.reporting.views import improvement, pages, records

app_name = "reporting"

urlpatterns = [
    path("", pages.home, name="home"),
    path("improvements/", improvement.register, name="improvements"),
    path("improvements/new/", improvement.create, name="improvement-create"),
    path("improvements/<str:number>/", improvement.detail, name="improvement"),
    path("improvements/<str:number>/edit/", improvement.edit, name="improvement-edit"),
    path("improvements/<str:number>/<slug:name>/", improvement.move, name="improvement-move"),
    path("records/", records.records, name="records"),
    # Last: a dashboard's slug must not shadow the pages above.
    path("<slug:slug>/", pages.dashboard, name="dashboard"),
]
