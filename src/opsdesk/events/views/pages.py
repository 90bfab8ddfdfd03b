"""Page shells the console's areas share: a form page and a confirmation page."""

from django.shortcuts import render

from opsdesk.core.views import generic


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def form_page(request, form, **page):
    """The generic create/edit page inside the console's navigation."""
    return generic.form_page(request, form, template="events/form.html", **page)


def confirm_page(request, *, title, message, button, cancel_url, danger=False):
    context = {
        "title": title,
        "message": message,
        "button": button,
        "cancel_url": cancel_url,
        "danger": danger,
    }
    return render(request, "events/confirm.html", context)
