"""Pages: "My approvals" (the approver's inbox), the one-time link from the approval mail, and
the approver's delegations while away."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.approvals import selectors, services
from opsdesk.approvals.forms import DecisionForm, DelegationForm
from opsdesk.approvals.models import DecidedVia, Delegation, RequestState, TokenKind
from opsdesk.core.errors import DomainError
from opsdesk.core.views.generic import admin_required, apply_domain_error

PAGE_SIZE = 20


def _row(request_row):
    approval = request_row.run.approval
    return {
        "ask": request_row,
        "approval": approval,
        "subject": selectors.subject_summary(approval),
        "answers": selectors.answer_rows(approval),
        "pending": request_row.state == RequestState.PENDING,
    }


@login_required
def inbox(request):
    if not selectors.may_open_inbox(viewer=request.user):
        raise PermissionDenied
    rows = selectors.approval_requests_for(viewer=request.user)
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # One query per kind of ticket for the page's subjects and their callers, not one per row.
    prefetch_related_objects(
        [r.run.approval for r in page_obj.object_list], "subject", "subject__caller"
    )
    return render(
        request,
        "approvals/inbox.html",
        {
            "page_obj": page_obj,
            "rows": [_row(r) for r in page_obj.object_list],
            "pending_count": rows.filter(state=RequestState.PENDING).count(),
            "form": DecisionForm(),
        },
    )


@login_required
@require_POST
def decide(request, pk: int):
    found = selectors.approval_requests_for(viewer=request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such approval for you.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject; a comment is at most 4000 characters.")
        return redirect("approvals:inbox")
    try:
        services.approval_decide(
            request=found,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
            actor=request.user,
            via=DecidedVia.INBOX,
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("approvals:inbox")
    number = selectors.subject_summary(found.run.approval)["number"]
    verb = "approved" if form.cleaned_data["decision"] == "approve" else "rejected"
    messages.success(request, f"You {verb} {number}.")
    return redirect("approvals:inbox")


def link_decide(request, token: str):
    """GET only shows the decision; POST decides. The link dies once its request is decided."""
    found = selectors.request_for_token(token=token, kind=TokenKind.LINK)
    if found is None:
        raise Http404("This approval link is not valid.")
    context = _row(found)
    if found.state != RequestState.PENDING or found.run.approval.state != "pending":
        return render(request, "approvals/link_used.html", context, status=410)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.approval_decide_by_link(
                token=token,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except services.AlreadyDecided:
            return render(request, "approvals/link_used.html", context, status=410)
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            found.refresh_from_db()
            return render(request, "approvals/link_done.html", _row(found))
    return render(
        request, "approvals/link.html", {**context, "form": form, "link_url": request.path}
    )


@login_required
def delegations(request):
    """An approver's delegations: who decides for them while they are away."""
    if not selectors.may_open_inbox(viewer=request.user):
        raise PermissionDenied
    form = DelegationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["delegate"] == request.user:
            form.add_error("delegate", "Pick someone else.")
        else:
            try:
                services.delegation_create(
                    actor=request.user,
                    delegator=request.user,
                    delegate=data["delegate"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    reason=data["reason"],
                )
            except DomainError as refusal:
                apply_domain_error(form, refusal)
            else:
                messages.success(
                    request,
                    f"{data['delegate']} decides your approvals from "
                    f"{data['starts_on']:%d %b} to {data['ends_on']:%d %b}.",
                )
                return redirect("approvals:delegations")
    mine = Delegation.objects.filter(delegator=request.user).select_related("delegate")
    return render(
        request,
        "approvals/delegations.html",
        {
            "form": form,
            "delegations": mine.order_by("-starts_on"),
            "for_others": Delegation.objects.filter(delegate=request.user)
            .select_related("delegator")
            .order_by("-starts_on"),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def delegation_end(request, pk: int):
    found = Delegation.objects.filter(pk=pk, delegator=request.user).first()
    if found is None:
        raise Http404("No such delegation of yours.")
    services.delegation_end(actor=request.user, delegation=found)
    messages.success(
        request, f"Your approvals come back to you; {found.delegate} no longer decides."
    )
    return redirect("approvals:delegations")


# --- the schemes, for administrators ----------------------------------------------------------
STAGE_INITIAL_FIELDS = (
    "name",
    "condition",
    "rule",
    "required_count",
    "required_percent",
    "from_manager",
    "from_team",
    "from_ci_owner",
    "from_service_owner",
    "from_answer",
    "fallback_approver",
    "timeout_hours",
    "timeout_action",
    "reminder_hours",
)


@admin_required
def schemes(request):
    rows = selectors.scheme_list(viewer=request.user).prefetch_related("stages")
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "approvals/schemes.html", {"page_obj": page_obj})


def _stage_initial(scheme) -> list[dict]:
    initial = []
    for stage in scheme.stages.order_by("position", "pk"):
        values = {name: getattr(stage, name) for name in STAGE_INITIAL_FIELDS}
        values["from_user"] = stage.from_users.first()
        initial.append(values)
    return initial


@admin_required
def scheme_edit(request, pk=None):
    """A scheme and its stages in one form: the stages are written whole, in order."""
    from opsdesk.approvals.forms import SchemeForm, StageFormSet

    scheme = None
    if pk is not None:
        scheme = selectors.scheme_list(viewer=request.user).filter(pk=pk).first()
        if scheme is None:
            raise Http404
    initial = (
        {"name": scheme.name, "description": scheme.description, "active": scheme.active}
        if scheme
        else None
    )
    form = SchemeForm(request.POST or None, initial=initial)
    stages = StageFormSet(
        request.POST or None, prefix="stage", initial=_stage_initial(scheme) if scheme else None
    )
    in_use = bool(scheme and scheme.approvals.exists())
    # A scheme in use keeps its stages (shown, not sent): only its own fields are checked.
    if request.method == "POST" and form.is_valid() and (in_use or stages.is_valid()):
        # Blank extra rows are left out; ticked "Delete" rows too.
        chosen = [] if in_use else [f for f in stages.forms if f.has_changed() or f.initial]
        kept = [f.stage_data() for f in chosen if not f.cleaned_data.get("DELETE")]
        try:
            if scheme is None:
                saved = services.scheme_create(actor=request.user, stages=kept, **form.cleaned_data)
            else:
                data = dict(form.cleaned_data)
                if not in_use:
                    data["stages"] = kept
                saved = services.scheme_update(actor=request.user, scheme=scheme, data=data)
        except DomainError as refusal:
            # Stage messages come as "stages[1].condition": shown on top, with the stage's number.
            apply_domain_error(form, _numbered(refusal))
        else:
            count = saved.stages.count()
            messages.success(request, f"“{saved.name}” is saved with {count} stages.")
            return redirect("approvals:scheme-edit", pk=saved.pk)
    return render(
        request,
        "approvals/scheme_edit.html",
        {
            "scheme": scheme,
            "form": form,
            "stages": stages,
            "in_use": in_use,
        },
    )


def _numbered(refusal: DomainError) -> DomainError:
    import re

    fields = {}
    for key, messages_ in refusal.fields.items():
        found = re.match(r"stages\[(\d+)\]\.(\w+)", key)
        if found:
            fields.setdefault("__all__", []).extend(
                f"Stage {int(found.group(1)) + 1}: {m}" for m in messages_
            )
        else:
            fields[key] = messages_
    return DomainError(refusal.message, fields=fields)
