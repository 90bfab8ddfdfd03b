from django.urls import path

from opsdesk.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="mark-read"),
    path("preferences/", views.preferences, name="preferences"),
    path("webhooks/", views.webhook_list, name="webhook-list"),
    path("webhooks/new/", views.webhook_edit, name="webhook-create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook-edit"),
    path("sent-mail/", views.sent_mail_list, name="sent-mail-list"),
    path("sent-mail/<int:pk>/", views.sent_mail_detail, name="sent-mail-detail"),
]
