from django.urls import path

from opsdesk.reporting.views import pages, service_hours

app_name = "reporting"

urlpatterns = [
    path("", pages.home, name="home"),
    path("service-hours/", service_hours.service_hours, name="service_hours"),
]
