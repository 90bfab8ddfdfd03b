"""People pages: agents look people up, administrators add and change them."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from opsdesk.core import selectors, services
from opsdesk.core.forms import UserFilterForm, UserForm
from opsdesk.core.models import User
from opsdesk.core.roles import is_admin
from opsdesk.core.views.generic import (
    admin_required,
    agent_required,
    form_page,
    list_page,
    save_form,
)


@agent_required
def user_list(request):
    queryset = selectors.user_list(viewer=request.user).prefetch_related("groups")
    return list_page(
        request,
        queryset=queryset,
        filter_form=UserFilterForm(request.GET or None),
        template="core/people/list.html",
        rows_template="core/people/_rows.html",
        extra={"can_write": is_admin(request.user)},
    )


@agent_required
def user_detail(request, pk):
    person = get_object_or_404(selectors.user_list(viewer=request.user), pk=pk)
    context = {
        "person": person,
        "roles": person.groups.order_by("name").values_list("name", flat=True),
        "teams": person.teams.all(),
        "can_write": is_admin(request.user),
    }
    return render(request, "core/people/detail.html", context)


@admin_required
def user_create(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = save_form(form, lambda: services.user_create(actor=request.user, **form.values()))
        if person is not None:
            messages.success(request, f"{person} is added.")
            return redirect("core:user-detail", pk=person.pk)
    return form_page(request, form, title="Add a person")


@admin_required
def user_edit(request, pk):
    person = get_object_or_404(User, pk=pk)
    form = UserForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        saved = save_form(
            form,
            lambda: services.user_update(
                actor=request.user,
                user=person,
                expected_version=form.cleaned_data.get("version"),
                **form.values(),
            ),
        )
        if saved is not None:
            messages.success(request, f"{saved} is saved.")
            return redirect("core:user-detail", pk=saved.pk)
    cancel_url = reverse("core:user-detail", kwargs={"pk": person.pk})
    return form_page(request, form, title=f"Edit {person}", cancel_url=cancel_url)
