"""Page shells the console's areas share: a form page and a confirmation page."""

from django.shortcuts import render


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def form_page(request, form, *, title, cancel_url, submit_label="Save", **extra):
    context = {
        "form": form,
        "title": title,
        "cancel_url": cancel_url,
        "submit_label": submit_label,
        **extra,
    }
    return render(request, "events/form.html", context)


def confirm_page(request, *, title, message, button, cancel_url, danger=False):
    context = {
        "title": title,
        "message": message,
        "button": button,
        "cancel_url": cancel_url,
        "danger": danger,
    }
    return render(request, "events/confirm.html", context)
