"""The requester's side: the catalog, an item's order form, and following each request."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from opsdesk.access.selectors import packages_matching
from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.formschema import render_section
from opsdesk.core.tickets.registry import panels_for
from opsdesk.core.timeline import timeline_for
from opsdesk.core.views.generic import apply_domain_error
from opsdesk.service_requests import selectors, services
from opsdesk.service_requests.forms import (
    CatalogSearchForm,
    InformationForm,
    OrderForm,
    ReasonForm,
)
from opsdesk.service_requests.models import CatalogCategory, ItemState
from opsdesk.service_requests.plain_words import approval_story, item_story, plan_story

ANSWERS_PREFIX = "item"
CATALOG_PAGE = 24


def answers_section(request, item, data, errors):
    """The item's own questions, rendered (and re-rendered on each change) by the server."""
    if item.form_id is None:
        return None
    return render_section(
        item.form, answers=data, errors=errors, prefix=ANSWERS_PREFIX, request=request
    )


@login_required
def catalog(request):
    form = CatalogSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    category = None
    if request.GET.get("category"):
        category = CatalogCategory.objects.filter(slug=request.GET["category"], active=True).first()
    items = selectors.catalog_items(viewer=request.user, query=query, category=category)
    page_obj = Paginator(items, CATALOG_PAGE).get_page(request.GET.get("page"))
    first_page = page_obj.number == 1 and not (query or category)
    context = {
        "form": form,
        "query": query,
        "category": category,
        "categories": selectors.catalog_categories(),
        "items": page_obj.object_list,
        "page_obj": page_obj,
        "popular": selectors.popular_among(items) if first_page else [],
        # Access is asked for like any item: the packages the person may ask for, beside the
        # catalog's items (their own order page runs access management's checks).
        "access_packages": packages_matching(request.user, query)
        if category is None and page_obj.number == 1
        else [],
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "catalog-results":
        return render(request, "service_requests/portal/_catalog_results.html", context)
    return render(request, "service_requests/portal/catalog.html", context)


@login_required
def catalog_item(request, slug):
    item = selectors.catalog_item_for(viewer=request.user, slug=slug)
    if item is None:
        raise Http404("This item is not in your catalog.")
    form = OrderForm(request.POST or None)
    answer_errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid():
        try:
            ordered = services.request_submit(
                actor=request.user,
                lines=[(item, request.POST, form.cleaned_data["quantity"])],
                requested_for=form.cleaned_data["requested_for"],
                channel_label="the portal",
                answers_prefix=ANSWERS_PREFIX,
            )
        except NotPermitted as refusal:
            raise PermissionDenied(refusal.message) from None
        except DomainError as refusal:
            answer_errors = {k: v for k, v in refusal.fields.items() if k not in form.fields}
            apply_domain_error(form, _only_form_fields(refusal, form))
        else:
            messages.success(
                request,
                f"{ordered.number} is submitted. This page shows each step as it happens.",
            )
            return redirect("service_requests:portal-request", number=ordered.number)
    return render(
        request,
        "service_requests/portal/item.html",
        {
            "item": item,
            "form": form,
            "answer_errors": answer_errors,
            "answers_section": answers_section(request, item, request.POST or None, answer_errors),
        },
    )


def _only_form_fields(refusal: DomainError, form) -> DomainError:
    """The refusal with only the messages the order form shows; answers show on the fields."""
    fields = {k: v for k, v in refusal.fields.items() if k in form.fields}
    if not fields and not refusal.fields:
        return refusal
    return DomainError(refusal.message, fields=fields or {"__all__": [refusal.message]})


@login_required
def my_requests(request):
    page_obj = Paginator(selectors.my_requests(viewer=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "service_requests/portal/requests.html", {"page_obj": page_obj})


def _request_for(request, number):
    found = get_object_or_404(
        selectors.request_list(viewer=request.user).filter(number=number.upper())
    )
    return found


@login_required
def portal_request(request, number):
    req = _request_for(request, number)
    items = []
    for item in selectors.items_of(req):
        items.append(
            {
                "item": item,
                "story": item_story(item),
                "steps": plan_story(item),
                "approvals": approval_story(item),
                "answers": selectors.answers_shown(item),
                "timeline": timeline_for(record=item, public_only=True),
                "asks": item.state == ItemState.INFO_NEEDED,
                "question": selectors.pending_question(item)
                if item.state == ItemState.INFO_NEEDED
                else "",
                "fulfilled": item.state == ItemState.FULFILLED,
            }
        )
    return render(
        request,
        "service_requests/portal/request.html",
        {
            "req": req,
            "items": items,
            "info_form": InformationForm(),
            "reason_form": ReasonForm(),
            "may_cancel": any(row["item"].is_open for row in items),
            # What other apps show on an item in the portal (its survey, once asked).
            "portal_panels": panels_for("request_item").get("portal", []),
        },
    )


PORTAL_ACTIONS = {"answer", "cancel", "close", "reopen", "cancel_request"}


@login_required
@require_POST
def portal_item_action(request, number, action):
    if action not in PORTAL_ACTIONS:
        raise Http404
    req = _request_for(request, number)
    try:
        if action == "cancel_request":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Say why you cancel, so the desk knows.")
                return redirect("service_requests:portal-request", number=req.number)
            services.request_cancel(
                actor=request.user, request=req, reason=form.cleaned_data["reason"]
            )
            messages.success(request, f"{req.number} is cancelled.")
            return redirect("service_requests:portal-request", number=req.number)
        item = get_object_or_404(req.items, number=request.POST.get("item", "").upper())
        if action == "answer":
            form = InformationForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Write your answer first.")
            else:
                services.item_add_information(
                    actor=request.user, item=item, body=form.cleaned_data["body"]
                )
                messages.success(request, "Thank you: the desk has your answer.")
        else:
            moved = services.item_transition(
                actor=request.user,
                item=item,
                action=action,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, f"{moved.number} is {moved.get_state_display().lower()}.")
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, refusal.message)
    return redirect("service_requests:portal-request", number=req.number)
