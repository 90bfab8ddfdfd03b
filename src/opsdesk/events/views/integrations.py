"""Monitoring integrations: agents read them, administrators add, edit and rotate secrets."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from opsdesk.core.roles import is_admin
from opsdesk.core.views.generic import (
    admin_required,
    agent_required,
    edit_call,
    list_page,
    saved_on_post,
)
from opsdesk.events import selectors, services
from opsdesk.events.forms import (
    IntegrationForm,
)
from opsdesk.events.views.pages import base_url, confirm_page, form_page


@agent_required
def integration_list(request):
    return list_page(
        request,
        queryset=selectors.integration_list(viewer=request.user),
        filter_form=None,
        template="events/integration_list.html",
        rows_template="events/_integration_rows.html",
        extra={"base": base_url(request), "can_write": is_admin(request.user)},
    )


def _secret_page(request, integration, secret: str, *, rotated: bool):
    """The secret, on this one response only: it is stored hashed and never shown again."""
    context = {
        "integration": integration,
        "secret": secret,
        "rotated": rotated,
        "base": base_url(request),
    }
    return render(request, "events/integration_secret.html", context)


@never_cache
@admin_required
def integration_create(request):
    form = IntegrationForm(request.POST or None)
    result = saved_on_post(
        request, form, lambda: services.integration_create(actor=request.user, **form.values())
    )
    if result is not None:
        integration, secret = result
        messages.success(request, f"Integration {integration} is added.")
        return _secret_page(request, integration, secret, rotated=False)
    return form_page(
        request,
        form,
        title="New integration",
        cancel_url=reverse("events:integration-list"),
        submit_label="Create integration",
    )


@admin_required
def integration_edit(request, pk):
    integration = get_object_or_404(selectors.integration_list(viewer=request.user), pk=pk)
    form = IntegrationForm(request.POST or None, instance=integration)
    saved = saved_on_post(
        request,
        form,
        edit_call(request, form, services.integration_update, integration=integration),
    )
    if saved is not None:
        messages.success(request, f"Integration {saved} is saved.")
        return redirect("events:integration-list")
    return form_page(
        request,
        form,
        title=f"Edit integration {integration}",
        cancel_url=reverse("events:integration-list"),
    )


@never_cache
@admin_required
def integration_rotate(request, pk):
    """GET asks to confirm; POST makes a new secret and shows it once."""
    integration = get_object_or_404(selectors.integration_list(viewer=request.user), pk=pk)
    if request.method == "POST":
        secret = services.integration_rotate_secret(actor=request.user, integration=integration)
        messages.success(request, f"{integration} has a new secret; the old one no longer works.")
        return _secret_page(request, integration, secret, rotated=True)
    return confirm_page(
        request,
        title=f"Rotate the secret of {integration}?",
        message=(
            "A new secret is made and shown once. The old secret stops working at once: "
            "update the monitoring tool right after."
        ),
        button="Rotate secret",
        cancel_url=reverse("events:integration-list"),
        danger=True,
    )
