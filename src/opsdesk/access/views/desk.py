"""The desk's and the access manager's side: requests, who holds what, provisioning that
needs a hand or failed, reviews, conflicting duties and leavers."""

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.access import selectors, services
from opsdesk.access.evidence import COLUMNS, evidence_pdf, evidence_rows
from opsdesk.access.forms import CampaignForm, PeopleImportForm, ReasonForm
from opsdesk.access.models import (
    AccessRequestState,
    CampaignState,
    GrantSource,
    GrantState,
    ProvisioningStep,
    ReviewCampaign,
    Risk,
    SodViolation,
    StepState,
    ViolationState,
)
from opsdesk.access.services import reviews
from opsdesk.access.services.people import people_import as run_import
from opsdesk.approvals.selectors import approval_story
from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.models import User
from opsdesk.core.roles import is_agent
from opsdesk.core.views.generic import apply_domain_error, role_required


def _sees_access(user) -> bool:
    return is_agent(user) or selectors.may_manage_access(user)


desk_required = role_required(_sees_access)
manager_required = role_required(selectors.may_manage_access)


def _refused(request, refusal: DomainError):
    if isinstance(refusal, NotPermitted):
        raise PermissionDenied(refusal.message)
    messages.error(request, refusal.message)


@desk_required
def home(request):
    now = timezone.now()
    grants = selectors.grants_visible(request.user)
    steps = ProvisioningStep.objects.all()
    return render(
        request,
        "access/desk/home.html",
        {
            "awaiting": selectors.requests_visible(request.user)
            .filter(state=AccessRequestState.AWAITING_APPROVAL)
            .count(),
            "active": grants.filter(state=GrantState.ACTIVE).count(),
            "privileged": grants.filter(
                state=GrantState.ACTIVE, entitlement__risk=Risk.PRIVILEGED
            ).count(),
            "expiring": grants.filter(
                state=GrantState.ACTIVE, valid_to__gt=now, valid_to__lte=now + timedelta(days=30)
            ).count(),
            "manual": steps.filter(state=StepState.MANUAL).count(),
            "failing": steps.filter(state__in=(StepState.RETRYING, StepState.FAILED)).count(),
            "violations": SodViolation.objects.filter(state=ViolationState.OPEN).count(),
            "campaigns": ReviewCampaign.objects.filter(state=CampaignState.RUNNING).count(),
            "may_manage": selectors.may_manage_access(request.user),
            "recent": selectors.requests_visible(request.user).select_related(
                "package", "requested_for"
            )[:10],
        },
    )


@desk_required
def request_detail(request, number):
    req = get_object_or_404(selectors.requests_visible(request.user), number=number.upper())
    return render(
        request,
        "access/desk/request.html",
        {
            "req": req,
            "approvals": approval_story(subject=req),
            "grants": req.grants.select_related("entitlement__application").prefetch_related(
                "steps"
            ),
            "reason_form": ReasonForm(),
        },
    )


def _grant_report(request):
    get = request.GET
    held_on = None
    if get.get("on"):
        try:
            held_on = date.fromisoformat(get["on"])
        except ValueError:
            messages.error(request, "Give the date as YYYY-MM-DD.")
    return selectors.grants_report(
        request.user,
        text=get.get("q", ""),
        state=get.get("state", GrantState.ACTIVE),
        source=get.get("source", ""),
        risk=get.get("risk", ""),
        expiring_within_days=30 if get.get("expiring") == "month" else None,
        held_on=held_on,
    )


GRANT_COLUMNS = [
    "Holder",
    "Department",
    "Application",
    "Entitlement",
    "Risk",
    "State",
    "Since",
    "Until",
    "Why",
    "Request",
    "Approved by",
    "Provisioning",
    "Ended",
    "End reason",
]


def _grant_row(g) -> list[str]:
    return [
        str(g.holder),
        g.holder.department,
        g.entitlement.application.name,
        g.entitlement.name,
        g.entitlement.get_risk_display(),
        g.get_state_display(),
        timezone.localtime(g.valid_from).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(g.valid_to).strftime("%Y-%m-%d %H:%M") if g.valid_to else "",
        g.get_source_display(),
        g.request.number if g.request_id else "",
        ", ".join(g.approved_by),
        g.get_provisioning_display(),
        timezone.localtime(g.ended_at).strftime("%Y-%m-%d %H:%M") if g.ended_at else "",
        g.get_end_reason_display() if g.end_reason else "",
    ]


@role_required(lambda u: u.is_authenticated)
def grants(request):
    """Who has what, since when, why, approved by whom; what a person had on a date."""
    qs = _grant_report(request)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-grants.csv"'
        writer = csv.writer(response)
        writer.writerow(GRANT_COLUMNS)
        for g in qs.iterator(chunk_size=2000):
            writer.writerow(_grant_row(g))
        return response
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "access/desk/grants.html",
        {
            "page_obj": page_obj,
            "states": GrantState.choices,
            "sources": GrantSource.choices,
            "risks": Risk.choices,
            "get": request.GET,
            "query": request.GET.urlencode(),
            "may_revoke": selectors.may_manage_access(request.user),
        },
    )


@role_required(lambda u: u.is_authenticated)
@require_POST
def grant_revoke(request, pk):
    grant = get_object_or_404(selectors.grants_visible(request.user), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the access is taken away.")
    else:
        try:
            services.grant_revoke(
                actor=request.user, grant=grant, reason=form.cleaned_data["reason"]
            )
        except DomainError as refusal:
            _refused(request, refusal)
        else:
            messages.success(request, f"{grant.entitlement.name} is revoked from {grant.holder}.")
    return redirect(request.POST.get("next") or "access:grants")


@desk_required
def provisioning(request):
    steps = ProvisioningStep.objects.select_related(
        "grant__entitlement__application", "grant__entitlement__owner_team", "person", "target"
    )
    show = request.GET.get("show", "todo")
    if show == "failing":
        steps = steps.filter(state__in=(StepState.RETRYING, StepState.FAILED))
    elif show == "all":
        steps = steps.all()
    else:
        steps = steps.filter(state=StepState.MANUAL)
    page_obj = Paginator(steps.order_by("-id"), 50).get_page(request.GET.get("page"))
    return render(request, "access/desk/provisioning.html", {"page_obj": page_obj, "show": show})


@desk_required
@require_POST
def step_action(request, pk, action):
    step = get_object_or_404(ProvisioningStep, pk=pk)
    try:
        if action == "done":
            services.manual_step_done(
                actor=request.user, step=step, note=request.POST.get("note", "")
            )
            messages.success(request, "Marked done.")
        elif action == "retry":
            services.provisioning_retry(actor=request.user, step=step)
            messages.success(request, "Trying again now.")
    except DomainError as refusal:
        _refused(request, refusal)
    return redirect(request.POST.get("next") or "access:provisioning")


@desk_required
def person(request, username):
    who = get_object_or_404(User, username=username)
    return render(
        request,
        "access/desk/person.html",
        {
            "who": who,
            "grants": selectors.grants_visible(request.user)
            .filter(holder=who)
            .order_by("state", "-valid_from")[:200],
            "events": who.lifecycle_events.all()[:20],
            "may_process": selectors.may_manage_access(request.user)
            and who.is_active
            and who != request.user,
            "reason_form": ReasonForm(),
        },
    )


@manager_required
@require_POST
def person_leave(request, username):
    who = get_object_or_404(User, username=username)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why, for the audit trail.")
        return redirect("access:person", username=who.username)
    try:
        event = services.person_leave_now(
            actor=request.user, person=who, why=form.cleaned_data["reason"]
        )
    except DomainError as refusal:
        _refused(request, refusal)
    else:
        ended = event.person.access_grants.filter(
            end_reason="leaver", ended_at__gte=event.created_at
        ).count()
        messages.success(
            request, f"{who} has left: {ended} grants are being removed, sign-ins ended."
        )
    return redirect("access:person", username=who.username)


@desk_required
def violations(request):
    state = request.GET.get("state", ViolationState.OPEN)
    rows = SodViolation.objects.select_related("rule", "person").prefetch_related(
        "grants__entitlement"
    )
    if state in ViolationState.values:
        rows = rows.filter(state=state)
    page_obj = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "access/desk/violations.html",
        {"page_obj": page_obj, "state": state, "states": ViolationState.choices},
    )


@manager_required
@require_POST
def violations_scan(request):
    found = services.sod_scan()
    messages.success(
        request, f"Scan done: {found['found']} new conflicts, {found['resolved']} resolved."
    )
    return redirect("access:violations")


# --- reviews ----------------------------------------------------------------------------------
@desk_required
def campaigns(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST":
        if not selectors.may_manage_access(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = reviews.campaign_create(
                    actor=request.user,
                    name=data["name"],
                    deadline=data["deadline"],
                    stages=form.stages(),
                    scope_privileged=data["scope_privileged"],
                    scope_department=data["scope_department"],
                    no_answer=data["no_answer"],
                )
            except DomainError as refusal:
                apply_domain_error(form, refusal)
            else:
                messages.success(request, f"“{made.name}” is ready: check its scope and start it.")
                return redirect("access:campaign", pk=made.pk)
    page_obj = Paginator(ReviewCampaign.objects.select_related("owner"), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "access/desk/campaigns.html",
        {
            "page_obj": page_obj,
            "form": form,
            "may_create": selectors.may_manage_access(request.user),
        },
    )


@desk_required
def campaign(request, pk):
    c = get_object_or_404(ReviewCampaign, pk=pk)
    return render(
        request,
        "access/desk/campaign.html",
        {
            "c": c,
            "progress": reviews.campaign_progress(c),
            "in_scope": reviews.campaign_scope(c).count()
            if c.state == CampaignState.DRAFT
            else None,
            "dry_run": reviews.campaign_dry_run(c) if c.state == CampaignState.CLOSED else [],
            "may_run": selectors.may_manage_access(request.user) or request.user.pk == c.owner_id,
        },
    )


@desk_required
@require_POST
def campaign_action(request, pk, action):
    c = get_object_or_404(ReviewCampaign, pk=pk)
    try:
        if action == "start":
            n = reviews.campaign_start(actor=request.user, campaign=c)
            messages.success(request, f"Started: {n} reviews sent to their reviewers.")
        elif action == "close":
            left = reviews.campaign_close(actor=request.user, campaign=c)["undecided"]
            messages.success(
                request, f"Closed. {left} undecided reviews followed the no-answer policy."
            )
        elif action == "apply":
            done = reviews.campaign_apply(actor=request.user, campaign=c)
            messages.success(
                request,
                f"Applied: {done['revoked']} grants revoked, {done['shortened']} shortened.",
            )
    except DomainError as refusal:
        _refused(request, refusal)
    return redirect("access:campaign", pk=c.pk)


@desk_required
def campaign_evidence(request, pk):
    """The auditor's evidence: each decision, who made it and when, what was revoked and
    when it was gone from the directory (CSV, or PDF with ?format=pdf)."""
    c = get_object_or_404(ReviewCampaign, pk=pk)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(evidence_pdf(c), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="review-{c.pk}-evidence.pdf"'
        return response
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="review-{c.pk}-evidence.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    writer.writerows(evidence_rows(c))
    return response


MAX_IMPORT_BYTES = 5 * 1024 * 1024


@manager_required
def people_import(request):
    """An HR export in: joiners get their birthrights, movers a review, leavers lose all."""
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", "The file is larger than 5 MB; split it.")
        else:
            try:
                result = run_import(actor=request.user, raw=upload.read())
            except DomainError as refusal:
                problems = refusal.fields.get("file") or [refusal.message]
                form.add_error(None, "Nothing was imported: correct these rows and try again.")
            else:
                messages.success(
                    request,
                    f"Imported: {result.created} new, {result.updated} changed, "
                    f"{result.unchanged} unchanged. Joiners, movers and leavers are processed now.",
                )
                return redirect("access:people-import")
    return render(request, "access/desk/people_import.html", {"form": form, "problems": problems})
