from django.urls import path

from opsdesk.reporting.views import improvement, pages, service_hours

app_name = "reporting"

urlpatterns = [
    path("", pages.home, name="home"),
    path("improvements/", improvement.register, name="improvements"),
    path("improvements/new/", improvement.create, name="improvement-create"),
    path("improvements/<str:number>/", improvement.detail, name="improvement"),
    path("improvements/<str:number>/edit/", improvement.edit, name="improvement-edit"),
    path("improvements/<str:number>/<slug:name>/", improvement.move, name="improvement-move"),
    path("service-hours/", service_hours.service_hours, name="service_hours"),
]
