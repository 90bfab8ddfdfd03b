from django.urls import path

from opsdesk.reporting.views import pages

app_name = "reporting"

urlpatterns = [
    path("", pages.home, name="home"),
]
