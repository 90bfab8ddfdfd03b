"""Team (support group) pages: agents read, administrators add and change."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from opsdesk.core import selectors, services
from opsdesk.core.forms import TeamFilterForm, TeamForm
from opsdesk.core.models import Team
from opsdesk.core.roles import is_admin
from opsdesk.core.views.generic import (
    admin_required,
    agent_required,
    form_page,
    list_page,
    save_form,
)


@agent_required
def team_list(request):
    return list_page(
        request,
        queryset=selectors.team_list(viewer=request.user),
        filter_form=TeamFilterForm(request.GET or None),
        template="core/teams/list.html",
        rows_template="core/teams/_rows.html",
        extra={"can_write": is_admin(request.user)},
    )


@agent_required
def team_detail(request, pk):
    team = get_object_or_404(selectors.team_list(viewer=request.user), pk=pk)
    context = {
        "team": team,
        "members": team.members.order_by("display_name", "username"),
        "escalated_from": team.escalated_from.all(),
        "can_write": is_admin(request.user),
    }
    return render(request, "core/teams/detail.html", context)


@admin_required
def team_create(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = save_form(form, lambda: services.team_create(actor=request.user, **form.values()))
        if team is not None:
            messages.success(request, f"Team {team} is added.")
            return redirect("core:team-detail", pk=team.pk)
    return form_page(request, form, title="Add a team")


@admin_required
def team_edit(request, pk):
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        saved = save_form(
            form,
            lambda: services.team_update(
                actor=request.user,
                team=team,
                expected_version=form.cleaned_data.get("version"),
                **form.values(),
            ),
        )
        if saved is not None:
            messages.success(request, f"Team {saved} is saved.")
            return redirect("core:team-detail", pk=saved.pk)
    cancel_url = reverse("core:team-detail", kwargs={"pk": team.pk})
    return form_page(request, form, title=f"Edit {team}", cancel_url=cancel_url)
