from django.urls import path

from opsdesk.reporting.views import (
    builder,
    improvement,
    pages,
    records,
    service_hours,
    subscriptions,
)

app_name = "reporting"

urlpatterns = [
    path("", pages.home, name="home"),
    path("records/", records.records, name="records"),
    path("improvements/", improvement.register, name="improvements"),
    path("improvements/new/", improvement.create, name="improvement-create"),
    path("improvements/<str:number>/", improvement.detail, name="improvement"),
    path("improvements/<str:number>/edit/", improvement.edit, name="improvement-edit"),
    path("improvements/<str:number>/<slug:name>/", improvement.move, name="improvement-move"),
    path("service-hours/", service_hours.service_hours, name="service_hours"),
    # The report builder, saved reports and scheduled report mail.
    path("builder/", builder.builder, name="builder"),
    path("builder/chart.png", builder.builder_chart, name="builder-chart"),
    path("builder/save/", builder.builder_save, name="builder-save"),
    path("saved/", builder.saved_list, name="saved-reports"),
    path("saved/<int:pk>/", builder.saved_detail, name="saved-report"),
    path("saved/<int:pk>/share/", builder.saved_share, name="saved-report-share"),
    path("subscriptions/", subscriptions.subscription_index, name="subscriptions"),
    path("subscriptions/new/", subscriptions.subscription_new, name="subscription-create"),
    path(
        "subscriptions/<int:pk>/<str:action>/",
        subscriptions.subscription_change,
        name="subscription-change",
    ),
    path("stop/<str:token>/", subscriptions.subscription_stop, name="subscription-stop"),
    # Last: a dashboard's slug must not shadow the pages above.
    path("<slug:slug>/", pages.dashboard, name="dashboard"),
]
