"""The requester's and reviewer's side: ask for access, follow the request, see what you
hold, and decide the reviews you were given."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.access import selectors, services
from opsdesk.access.forms import AccessOrderForm, DecisionForm, DelegateForm, ReasonForm
from opsdesk.access.models import AccessRequestState, GrantState, ReviewItem
from opsdesk.access.services import reviews
from opsdesk.approvals.selectors import approval_story
from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.formschema import render_section
from opsdesk.core.views.generic import apply_domain_error

ANSWERS_PREFIX = "access"


@login_required
def packages(request):
    return render(
        request,
        "access/portal/packages.html",
        {"packages": selectors.packages_for(request.user)},
    )


def _conflicts_for(request, package, form):
    if not form.is_valid():
        return []
    data = form.cleaned_data
    try:
        return services.request_check(
            actor=request.user,
            package=package,
            requested_for=data.get("requested_for"),
            valid_from=data.get("valid_from"),
            valid_to=data.get("valid_to"),
        )
    except DomainError:
        return []


@login_required
def order(request, slug):
    package = selectors.package_by_slug(slug)
    if package is None or not selectors.may_request(package, request.user):
        raise Http404("This access is not something you can ask for here.")
    # A check asks with GET (htmx, as the requester fills in the form); ordering posts.
    form = AccessOrderForm(request.POST if request.method == "POST" else (request.GET or None))
    answer_errors: dict[str, list[str]] = {}
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "sod-check":
        # The requester sees a conflict before submitting, as they fill in who and when.
        return render(
            request,
            "access/portal/_sod_check.html",
            {"conflicts": _conflicts_for(request, package, form)},
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.access_request_submit(
                actor=request.user,
                package=package,
                requested_for=data["requested_for"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                justification=data["justification"],
                answers=request.POST,
                answers_prefix=ANSWERS_PREFIX,
                sod_exception=data["sod_exception"],
                sod_exception_until=data["sod_exception_until"],
                channel_label="the portal",
            )
        except NotPermitted as refusal:
            raise PermissionDenied(refusal.message) from None
        except DomainError as refusal:
            answer_errors = {
                k: v for k, v in refusal.fields.items() if k not in form.fields and k != "__all__"
            }
            shown = {k: v for k, v in refusal.fields.items() if k in form.fields or k == "__all__"}
            apply_domain_error(
                form, DomainError(refusal.message, fields=shown or {"__all__": [refusal.message]})
            )
        else:
            messages.success(
                request,
                f"{made.number} is submitted. This page shows each step as it happens.",
            )
            return redirect("access:portal-request", number=made.number)
    answers = None
    if package.form_id is not None:
        answers = render_section(
            package.form,
            answers=request.POST or None,
            errors=answer_errors,
            prefix=ANSWERS_PREFIX,
            request=request,
        )
    entitlements = list(package.entitlements.filter(active=True).select_related("application"))
    return render(
        request,
        "access/portal/order.html",
        {
            "package": package,
            "form": form,
            "answers_section": answers,
            "entitlements": entitlements,
            "conflicts": _conflicts_for(request, package, form) if request.method == "GET" else [],
            "needs_justification": any(e.needs_justification for e in entitlements),
        },
    )


def _request_for(request, number):
    return get_object_or_404(selectors.requests_visible(request.user), number=number.upper())


@login_required
def portal_request(request, number):
    req = _request_for(request, number)
    return render(
        request,
        "access/portal/request.html",
        {
            "req": req,
            "approvals": approval_story(subject=req),
            "grants": req.grants.select_related("entitlement__application"),
            "may_cancel": req.state
            in (
                AccessRequestState.SUBMITTED,
                AccessRequestState.AWAITING_APPROVAL,
                AccessRequestState.PROVISIONING,
            ),
            "reason_form": ReasonForm(),
        },
    )


@login_required
@require_POST
def portal_cancel(request, number):
    req = _request_for(request, number)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why you cancel, so the desk knows.")
        return redirect("access:portal-request", number=req.number)
    try:
        services.access_request_cancel(
            actor=request.user, request=req, reason=form.cleaned_data["reason"]
        )
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"{req.number} is cancelled.")
    return redirect("access:portal-request", number=req.number)


@login_required
def my_access(request):
    grants = (
        selectors.grants_visible(request.user)
        .filter(holder=request.user)
        .order_by("state", "-valid_from")
    )
    page_obj = Paginator(grants, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "access/portal/mine.html",
        {
            "page_obj": page_obj,
            "requests": selectors.requests_visible(request.user).filter(requested_for=request.user)[
                :10
            ],
            "reviews_waiting": selectors.review_items_for(request.user).count(),
            "now": timezone.now(),
            "ended": GrantState.ENDED,
        },
    )


@login_required
def my_reviews(request):
    items = selectors.review_items_for(request.user)
    page_obj = Paginator(items, 25).get_page(request.GET.get("page"))
    # One delegate form per item, each with its own field ids.
    rows = [(item, DelegateForm(auto_id=f"delegate-{item.pk}-%s")) for item in page_obj.object_list]
    return render(request, "access/portal/reviews.html", {"page_obj": page_obj, "rows": rows})


@login_required
@require_POST
def review_decide(request, pk):
    item = get_object_or_404(
        ReviewItem.objects.select_related("grant__holder", "grant__entitlement"), pk=pk
    )
    action = request.POST.get("action", "decide")
    try:
        if action == "delegate":
            form = DelegateForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Pick the person and say why.")
                return redirect("access:my-reviews")
            reviews.review_delegate(
                actor=request.user,
                item=item,
                to=form.cleaned_data["to"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"Given to {form.cleaned_data['to']}.")
        else:
            form = DecisionForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose keep, revoke or shorten.")
                return redirect("access:my-reviews")
            decided = reviews.review_decide(
                actor=request.user,
                item=item,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                shorten_to=form.cleaned_data["shorten_to"],
            )
            grant = item.grant
            messages.success(
                request,
                f"{decided.get_decision_display()}: {grant.entitlement.name} for {grant.holder}.",
            )
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, refusal.message)
    return redirect("access:my-reviews")
