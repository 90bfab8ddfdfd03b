"""The catalog manager's pages: items, categories and each item's fulfilment plan."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from opsdesk.core.views.generic import form_page, list_page, role_required, save_form
from opsdesk.service_requests import services
from opsdesk.service_requests.forms import CatalogItemForm, CategoryForm, PlanStepForm
from opsdesk.service_requests.models import CatalogCategory, CatalogItem, PlanStep
from opsdesk.service_requests.selectors import may_manage_catalog

catalog_manager_required = role_required(may_manage_catalog)


@catalog_manager_required
def catalog_manage(request):
    items = CatalogItem.objects.select_related("category", "owner_team").order_by(
        "category__order", "category__name", "name"
    )
    return list_page(
        request,
        queryset=items,
        filter_form=None,
        template="service_requests/catalog/list.html",
        rows_template="service_requests/catalog/_rows.html",
        extra={"categories": CatalogCategory.objects.order_by("order", "name")},
    )


@catalog_manager_required
def item_edit(request, slug=None):
    item = get_object_or_404(CatalogItem, slug=slug) if slug else None
    form = CatalogItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        saved = save_form(
            form,
            lambda: services.catalog_item_save(
                actor=request.user,
                item=item,
                **form.values(),
                **({"expected_version": form.cleaned_data.get("version")} if item else {}),
            ),
        )
        if saved is not None:
            messages.success(request, f"{saved.name} is saved.")
            return redirect("service_requests:catalog-steps", slug=saved.slug)
    return form_page(
        request,
        form,
        title=f"Edit {item.name}" if item else "Add a catalog item",
        cancel_url=reverse("service_requests:catalog-manage"),
    )


@catalog_manager_required
def category_edit(request, slug=None):
    category = get_object_or_404(CatalogCategory, slug=slug) if slug else None
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        saved = save_form(
            form,
            lambda: services.category_save(
                actor=request.user,
                category=category,
                **form.values(),
                **({"expected_version": form.cleaned_data.get("version")} if category else {}),
            ),
        )
        if saved is not None:
            messages.success(request, f"Category {saved.name} is saved.")
            return redirect("service_requests:catalog-manage")
    return form_page(
        request,
        form,
        title=f"Edit {category.name}" if category else "Add a category",
        cancel_url=reverse("service_requests:catalog-manage"),
    )


@catalog_manager_required
def item_steps(request, slug, step_pk=None):
    """The item's plan: its steps in order, and a form to add or change one."""
    item = get_object_or_404(CatalogItem, slug=slug)
    step = get_object_or_404(PlanStep, pk=step_pk, item=item) if step_pk else None
    form = PlanStepForm(request.POST or None, instance=step, item=item)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "after"}
        saved = save_form(
            form,
            lambda: services.plan_step_save(
                actor=request.user,
                step=step,
                after=form.cleaned_data.get("after") or [],
                **({"item": item} if step is None else {}),
                **values,
            ),
        )
        if saved is not None:
            messages.success(request, f"Step “{saved.name}” is saved.")
            return redirect("service_requests:catalog-steps", slug=item.slug)
    steps = item.steps.select_related("team", "target_team").prefetch_related("after")
    return render(
        request,
        "service_requests/catalog/steps.html",
        {"item": item, "steps": steps, "form": form, "step": step},
    )
