from django.urls import path

from opsdesk.servicedesk.views import agent, desk, portal, survey

app_name = "servicedesk"

urlpatterns = [
    path("", portal.home, name="home"),
    path("report/", portal.report, name="report"),
    path("report/suggestions/", portal.suggestions, name="suggestions"),
    path("tickets/", portal.my_tickets, name="tickets"),
    path("services/follow/", portal.service_follow, name="service-follow"),
    path("services/mine/", portal.my_services, name="my-services"),
    path("tickets/<int:pk>/", portal.ticket, name="ticket"),
    path("tickets/<int:pk>/<slug:name>/", portal.ticket_action, name="ticket-action"),
    # Any registered record type's ticket, for types without a portal page of their own.
    path("tickets/<slug:record_type>/<int:pk>/", portal.record, name="record"),
    path(
        "tickets/<slug:record_type>/<int:pk>/comment/",
        portal.record_comment,
        name="record-comment",
    ),
    path("knowledge/", portal.kb_search, name="kb-search"),
    path("knowledge/<str:number>/", portal.kb_article, name="kb-article"),
    path("knowledge/<str:number>/feedback/", portal.kb_feedback, name="kb-feedback"),
    path("survey/<str:token>/", survey.survey, name="survey"),
    path("desk/knowledge/", agent.kb_manage, name="kb-manage"),
    path("desk/knowledge/new/", agent.kb_edit, name="kb-create"),
    path("desk/knowledge/<int:pk>/", agent.kb_detail, name="kb-detail"),
    path("desk/knowledge/<int:pk>/edit/", agent.kb_edit, name="kb-edit"),
    path("desk/knowledge/<int:pk>/attach/", agent.kb_attach, name="kb-attach"),
    path("desk/knowledge/<int:pk>/<slug:action>/", agent.kb_state, name="kb-state"),
    path("desk/my-work/", desk.my_work_page, name="my-work"),
    path(
        "desk/incidents/<int:incident_pk>/articles/",
        desk.incident_articles,
        name="incident-articles",
    ),
    path(
        "desk/incidents/<int:incident_pk>/articles/link/",
        desk.incident_article_link,
        name="incident-article-link",
    ),
    path(
        "desk/incidents/<int:incident_pk>/resolve/",
        desk.incident_resolve,
        name="incident-resolve",
    ),
    path(
        "desk/incidents/<int:incident_pk>/resolve/articles/",
        desk.incident_article_options,
        name="incident-article-options",
    ),
    path(
        "desk/incidents/<int:incident_pk>/articles/<int:link_pk>/unlink/",
        desk.incident_article_unlink,
        name="incident-article-unlink",
    ),
    path("desk/canned/", agent.canned_list, name="canned-list"),
    path("desk/canned/new/", agent.canned_edit, name="canned-create"),
    path("desk/canned/<int:pk>/", agent.canned_edit, name="canned-edit"),
    path("desk/canned/picker/<int:incident_pk>/", agent.canned_picker, name="canned-picker"),
    path("desk/unprocessed/", agent.unprocessed, name="unprocessed"),
    path(
        "desk/unprocessed/<int:pk>/<slug:action>/",
        agent.unprocessed_action,
        name="unprocessed-action",
    ),
]
