from django.contrib.auth import views as auth_views
from django.urls import path

from opsdesk.core.views import pages

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
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="core/password_change.html", success_url="/"
        ),
        name="password-change",
    ),
]
