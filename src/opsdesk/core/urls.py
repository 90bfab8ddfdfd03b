from django.contrib.auth import views as auth_views
from django.urls import path

from opsdesk.core.views import (
    attachments,
    formschema,
    pages,
    people,
    pickers,
    queues,
    search,
    styleguide,
    tasks,
    teams,
    theme,
    tokens,
)

app_name = "core"

urlpatterns = [
    path("", pages.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="core/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    # Django's LogoutView accepts POST only, so a link or an image cannot sign anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", pages.profile, name="profile"),
    path("account/password/", pages.PasswordChangeView.as_view(), name="password-change"),
    path("account/theme/", theme.theme_choose, name="theme"),
    path("styleguide/", styleguide.style_guide, name="styleguide"),
    path("account/tokens/", tokens.token_list, name="token-list"),
    path("account/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
    path("search/", search.search_page, name="search"),
    path("people/", people.user_list, name="user-list"),
    path("people/pick/", pickers.person_pick, name="person-pick"),
    path("people/new/", people.user_create, name="user-create"),
    path("people/<int:pk>/", people.user_detail, name="user-detail"),
    path("people/<int:pk>/edit/", people.user_edit, name="user-edit"),
    path("teams/", teams.team_list, name="team-list"),
    path("teams/pick/", pickers.team_pick, name="team-pick"),
    path("teams/new/", teams.team_create, name="team-create"),
    path("teams/<int:pk>/", teams.team_detail, name="team-detail"),
    path("teams/<int:pk>/edit/", teams.team_edit, name="team-edit"),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment-download"),
    path("forms/", formschema.schema_list, name="formschema-list"),
    path("forms/new/", formschema.schema_create, name="formschema-create"),
    path("forms/preview/", formschema.schema_preview, name="formschema-preview"),
    path("forms/pick/", formschema.reference_pick, name="formschema-pick"),
    path("forms/<slug:slug>/", formschema.schema_edit, name="formschema-edit"),
    path("forms/<slug:slug>/render/", formschema.form_render, name="formschema-render"),
    path("tasks/", tasks.task_queue, name="task-list"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task-detail"),
    path("tasks/<int:pk>/<slug:name>/", tasks.task_action, name="task-action"),
    path("tasks/new/<slug:record_type>/<int:pk>/", tasks.task_new, name="task-new"),
    # Any registered record type's workspace queue ("bulk" and "saved" are not queue keys).
    path("work/", queues.queue_index, name="queue-index"),
    path("work/<slug:record_type>/", queues.queue, name="queue-default"),
    path("work/<slug:record_type>/bulk/", queues.bulk_update, name="queue-bulk"),
    path(
        "work/<slug:record_type>/saved/<int:pk>/delete/",
        queues.saved_filter_delete,
        name="queue-saved-filter-delete",
    ),
    path("work/<slug:record_type>/<slug:name>/", queues.queue, name="queue"),
    path(
        "work/<slug:record_type>/<slug:name>/save/",
        queues.saved_filter_save,
        name="queue-saved-filter-save",
    ),
]
