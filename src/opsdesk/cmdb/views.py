"""CMDB pages: list with filters, CI page with impact and graph, forms for editors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.cmdb import selectors, services
from opsdesk.cmdb.forms import CIFilterForm, CIForm, RelationshipForm
from opsdesk.cmdb.graph import dependency_graph
from opsdesk.cmdb.models import Relationship
from opsdesk.cmdb.roles import cmdb_can_edit, cmdb_can_read_all
from opsdesk.core.errors import DomainError, StaleVersion
from opsdesk.core.views.generic import form_page

PAGE_SIZE = 25


def _require_editor(user) -> None:
    if not cmdb_can_edit(user):
        raise PermissionDenied("Only administrators and service owners may change the CMDB.")


def _apply_errors(form, error: DomainError) -> None:
    for name, texts in (error.fields or {"__all__": [error.message]}).items():
        field = name if name in form.fields else None
        for text in texts:
            form.add_error(field, text)


@login_required
def ci_list(request):
    form = CIFilterForm(request.GET or None)
    queryset = form.filter(selectors.ci_list(viewer=request.user))
    page_obj = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cmdb/ci_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "can_edit": cmdb_can_edit(request.user),
            "staff": cmdb_can_read_all(request.user),
        },
    )


@login_required
def ci_detail(request, pk: int):
    ci = get_object_or_404(selectors.ci_list(viewer=request.user), pk=pk)
    context = {"ci": ci, "can_edit": cmdb_can_edit(request.user), "staff": False}
    # Relationships reveal other CIs, and subscribers other people: staff only.
    if cmdb_can_read_all(request.user):
        if ci.is_service:
            subscribers = ci.subscribers.order_by("username")
            context["service_users"] = True
            context["subscribers_page"] = Paginator(subscribers, PAGE_SIZE).get_page(
                request.GET.get("page")
            )
        context.update(
            staff=True,
            relationships=selectors.ci_relationships(ci=ci),
            impact=selectors.ci_impacted_services(ci=ci),
            graph=dependency_graph(ci),
            relationship_form=RelationshipForm(),
        )
    return render(request, "cmdb/ci_detail.html", context)


@login_required
def ci_create(request):
    _require_editor(request.user)
    form = CIForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ci = services.ci_create(actor=request.user, **form.values())
        except DomainError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{ci} was added to the CMDB.")
            return redirect("cmdb:ci-detail", pk=ci.pk)
    return _ci_form_page(
        request, form, title="New configuration item", cancel_url=reverse("cmdb:ci-list")
    )


@login_required
def ci_edit(request, pk: int):
    _require_editor(request.user)
    ci = get_object_or_404(selectors.ci_list(viewer=request.user), pk=pk)
    form = CIForm(request.POST or None, instance=ci)
    if request.method == "POST" and form.is_valid():
        try:
            ci = services.ci_update(
                actor=request.user,
                ci=ci,
                expected_version=form.cleaned_data.get("version"),
                **form.values(),
            )
        except StaleVersion as error:
            form.add_error(None, error.message)
        except DomainError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{ci} was saved.")
            return redirect("cmdb:ci-detail", pk=ci.pk)
    cancel_url = reverse("cmdb:ci-detail", args=[ci.pk])
    return _ci_form_page(request, form, title=f"Edit {ci.name}", cancel_url=cancel_url)


def _ci_form_page(request, form, *, title: str, cancel_url: str):
    return form_page(request, form, title=title, cancel_url=cancel_url, stylesheet="cmdb/cmdb.css")


@login_required
@require_POST
def relationship_add(request, pk: int):
    _require_editor(request.user)
    ci = get_object_or_404(selectors.ci_list(viewer=request.user), pk=pk)
    form = RelationshipForm(request.POST)
    if form.is_valid():
        other = form.cleaned_data["other"]
        source, target = (ci, other) if form.cleaned_data["direction"] == "out" else (other, ci)
        try:
            services.relationship_create(
                actor=request.user, source=source, type=form.cleaned_data["type"], target=target
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Relationship added.")
    else:
        problems = "; ".join(m for errs in form.errors.values() for m in errs)
        messages.error(request, f"The relationship was not added: {problems}")
    return redirect("cmdb:ci-detail", pk=ci.pk)


@login_required
@require_POST
def relationship_delete(request, pk: int, rel_pk: int):
    _require_editor(request.user)
    relationship = get_object_or_404(
        Relationship.objects.filter(Q(source_id=pk) | Q(target_id=pk)), pk=rel_pk
    )
    services.relationship_delete(actor=request.user, relationship=relationship)
    messages.success(request, "Relationship removed.")
    return redirect("cmdb:ci-detail", pk=pk)
