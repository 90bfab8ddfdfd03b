"""The colour theme a browser shows opsdesk in: the system's setting, light or dark."""

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

THEME_COOKIE = "opsdesk_theme"
THEMES = ("system", "light", "dark")


@require_POST
def theme_choose(request):
    """Remember the theme in a cookie (kept a year) and go back to the page it was chosen on.

    A cookie rather than a profile field: the choice is about a screen, and the sign-in page
    follows it too."""
    theme = request.POST.get("theme", "")
    if theme not in THEMES:
        return HttpResponseBadRequest("Choose a theme: Match system, Light or Dark.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    if theme == "system":
        response.delete_cookie(THEME_COOKIE, samesite="Lax")
    else:
        response.set_cookie(
            THEME_COOKIE,
            theme,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=settings.HTTPS,
        )
    return response
