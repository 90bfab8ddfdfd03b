"""The agent workspace: queues, the incident page with quick actions, the create form.

Routine actions post with htmx and get the record panel back, so the page never reloads; the
same forms work without JavaScript through a redirect.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from opsdesk.core import related
from opsdesk.core.attachments import attachment_store, attachments_for
from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.roles import is_agent
from opsdesk.core.search import find_by_number
from opsdesk.core.tickets.registry import panels_for
from opsdesk.core.views.generic import agent_required, save_form
from opsdesk.incidents import forms, major, routing, saved_filters, selectors, services
from opsdesk.incidents.keyset import Page as KeysetPage
from opsdesk.incidents.keyset import keyset_page
from opsdesk.incidents.models import HoldReason, Priority
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

PAGE_SIZE = 50
BREACHING_LIMIT = 200


@agent_required
def queue(request, name: str = "open"):
    if name not in selectors.QUEUES:
        raise Http404
    filter_form = forms.QueueFilterForm(request.GET or None)
    # A state filter picks the states the queue shows, finished ones included.
    wanted = filter_form.cleaned_data.get("state") if filter_form.is_valid() else ""
    queryset, parts = selectors.incident_queue_paged(
        viewer=request.user, queue=name, states=[wanted] if wanted else None
    )
    queryset = filter_form.filter(queryset)
    if name == "breaching":
        # Soonest deadline first; the window keeps this list short, so one page holds it.
        page = KeysetPage(rows=list(queryset[:BREACHING_LIMIT]), next_cursor=None, sort="due")
    else:
        page = keyset_page(
            queryset,
            sort=request.GET.get("sort"),
            cursor=request.GET.get("after"),
            size=PAGE_SIZE,
            partitions=parts,
        )
    params = request.GET.copy()
    params.pop("after", None)
    context = {
        "queue": name,
        "queues": selectors.QUEUES,
        "queue_label": selectors.QUEUES[name],
        "filter_form": filter_form,
        "page": page,
        "objects": page.rows,
        "base_query": params.urlencode(),
        "bulk_form": forms.BulkForm(),
        # Other apps' buttons in the bulk bar (a problem raised from the ticked incidents).
        "panels": panels_for("incident"),
        "is_first_page": not request.GET.get("after"),
        "now": timezone.now(),
        "saved_filters": selectors.saved_filter_list(viewer=request.user),
        "current_query": params.urlencode(),
    }
    htmx = getattr(request, "htmx", None)
    template = (
        "incidents/_rows.html" if htmx and htmx.target == "results" else "incidents/queue.html"
    )
    return render(request, template, context)


@agent_required
@require_POST
def bulk_update(request):
    ids = [int(i) for i in request.POST.getlist("incidents") if i.isdigit()]
    form = forms.BulkForm(request.POST, ids=ids)
    back = request.POST.get("next", "")
    # Only a path on this site: "//host/..." or "https://..." would send the agent elsewhere.
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None) or not back.startswith("/"):
        back = reverse("incidents:queue", args=["open"])
    if not form.is_valid():
        # Say what was wrong with which field: a mistyped assignee is not "nothing picked".
        problems = [
            f"{form.fields[name].label or name}: {' '.join(errors)}"
            if name in form.fields
            else " ".join(errors)
            for name, errors in form.errors.items()
        ]
        messages.error(
            request,
            "Nothing was changed. " + (" ".join(problems) or "Pick incidents and a change."),
        )
        return redirect(back)
    data = form.cleaned_data
    report = services.incident_bulk_update(
        actor=request.user,
        incident_ids=data["incidents"],
        assignment_group=data["assignment_group"],
        assignee=data["assignee"],
        action=data["action"],
        **({"reason": data["reason"] or "Bulk update"} if data["action"] else {}),
    )
    if report.changed:
        messages.success(request, report.summary("incident"))
    else:
        messages.error(request, report.summary("incident"))
    for number, why in report.refused.items():
        messages.warning(request, f"{number} was not changed: {why}")
    return redirect(back)


@agent_required
def incident_create(request):
    form = forms.IncidentCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        incident = save_form(
            form, lambda: services.incident_open(actor=request.user, **form.cleaned_data)
        )
        if incident is not None:
            messages.success(request, f"{incident.number} is logged.")
            return redirect("incidents:detail", pk=incident.pk)
    # Other apps' panels beside the form (known errors matching what is typed).
    return render(
        request, "incidents/create.html", {"form": form, "panels": panels_for("incident")}
    )


@agent_required
def preview(request):
    """The priority the matrix gives and the services a CI affects, while the form is filled."""
    form = forms.IncidentCreateForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    impact, urgency = data.get("impact") or 3, data.get("urgency") or 3
    services_hit = routing.affected_services_for(ci=data.get("ci"), service=data.get("service"))
    from opsdesk.cmdb.models import ConfigurationItem

    context = {
        "priority": Priority(routing.priority_for(impact=impact, urgency=urgency)),
        "affected": ConfigurationItem.objects.filter(pk__in=services_hit),
        "suggested_impact": routing.suggested_impact(service_ids=services_hit),
    }
    return render(request, "incidents/_preview.html", context)


# The resolve form on the record page. A higher layer may offer a richer one (the service desk
# resolves and links a knowledge article in one step) without this app knowing about it.
RESOLVE_FORM_TEMPLATE = "incidents/_resolve_form.html"


def use_resolve_form(template_name: str) -> None:
    global RESOLVE_FORM_TEMPLATE
    RESOLVE_FORM_TEMPLATE = template_name


def _record_context(request, incident, **extra) -> dict:
    agent = is_agent(request.user)
    return {
        "incident": incident,
        # What the platform's panels (tasks, mail log) read, whatever the record type.
        "record": incident,
        "is_agent": agent,
        "timeline": selectors.incident_timeline(viewer=request.user, incident=incident),
        "children": selectors.incident_list(viewer=request.user).filter(parent=incident),
        "affected": incident.affected_services.all(),
        "allowed": [t.name for t in INCIDENT_WORKFLOW.allowed(incident.state)],
        "hold_form": forms.HoldForm(),
        "resolve_form": forms.ResolveForm(),
        "resolve_form_template": RESOLVE_FORM_TEMPLATE,
        "comment_form": forms.CommentForm(),
        "hold_reasons": HoldReason.choices,
        "assign_form": forms.AssignForm(
            initial={
                "assignment_group": incident.assignment_group_id,
                "assignee": incident.assignee_id,
            }
        ),
        # The panel holds several forms with alike fields (reason, body, summary): each gets
        # ids of its own, or a label would name another form's field.
        "priority_form": forms.PriorityForm(
            initial={"priority": incident.priority}, auto_id="id_priority_%s"
        ),
        "declare_form": forms.DeclareMajorForm(),
        "update_form": forms.StakeholderUpdateForm(auto_id="id_update_%s"),
        "end_major_form": forms.EndMajorForm(auto_id="id_end_major_%s"),
        "can_manage_major": major.is_major_incident_manager(request.user),
        "edit_form": forms.IncidentEditForm.for_incident(incident) if agent else None,
        "parent_form": forms.ParentForm(),
        "related": related.related_records(viewer=request.user, record=incident),
        "related_form": forms.RelatedRecordForm(),
        "upload_form": forms.AttachmentUploadForm(),
        "attachments": attachments_for(record=incident, public_only=not agent).select_related(
            "uploaded_by"
        ),
        # What apps above incidents show on the page (knowledge, canned replies, mail log).
        "panels": panels_for("incident"),
        **extra,
    }


@login_required
def incident_detail(request, pk):
    # Anyone may ask; the selector answers 404 for what they may not see.
    incident = get_object_or_404(selectors.incident_list(viewer=request.user), pk=pk)
    return render(request, "incidents/detail.html", _record_context(request, incident))


def _end_major(user, incident, data):
    major.incident_end_major(actor=user, incident=incident, **data)
    return incident


# Actions that take a small form: name -> (form, what to do with the cleaned data).
FORM_ACTIONS = {
    "assign": (
        forms.AssignForm,
        lambda user, incident, data: services.incident_assign(
            actor=user, incident=incident, **data
        ),
    ),
    "priority": (
        forms.PriorityForm,
        lambda user, incident, data: services.incident_override_priority(
            actor=user, incident=incident, **data
        ),
    ),
    "declare_major": (
        forms.DeclareMajorForm,
        lambda user, incident, data: major.incident_declare_major(
            actor=user, incident=incident, manager=user, **data
        ),
    ),
    "stakeholder_update": (
        forms.StakeholderUpdateForm,
        lambda user, incident, data: major.incident_stakeholder_update(
            actor=user, incident=incident, **data
        ),
    ),
    "end_major": (forms.EndMajorForm, _end_major),
    "edit": (
        forms.IncidentEditForm,
        lambda user, incident, data: services.incident_update(
            actor=user,
            incident=incident,
            expected_version=data.pop("version"),
            **data,
        ),
    ),
}

# What the agent is told after an action went through.
CONFIRMATIONS = {
    "assign_me": "Assigned to you.",
    "assign": "Assignment saved.",
    "priority": "Priority changed.",
    "declare_major": "Declared a major incident.",
    "stakeholder_update": "Stakeholder update posted.",
    "end_major": "Major incident ended.",
    "edit": "Changes saved.",
    "hold": "Put on hold.",
    "resolve": "Resolved.",
    "start": "Work started.",
    "resume": "Resumed.",
    "reopen": "Reopened.",
    "close": "Closed.",
    "cancel": "Cancelled.",
    "escalate": "Escalated.",
    "acknowledge": "Acknowledged.",
    "comment": "Posted.",
    "set_parent": "Parent set.",
    "clear_parent": "Parent cleared.",
    "upload": "File attached.",
    "link": "Records related.",
    "unlink": "Link removed.",
}


def _quick(request, incident, name):
    """Run one quick action; answers (form, error) so the panel can show what went wrong."""
    user, post = request.user, request.POST
    if name == "assign_me":
        group = incident.assignment_group
        if group is None or not group.members.filter(pk=user.pk).exists():
            group = user.teams.order_by("name").first()
        if group is None:
            raise DomainError("You are not in any support group.")
        return services.incident_assign(
            actor=user, incident=incident, assignment_group=group, assignee=user
        )
    if name in FORM_ACTIONS:
        form_class, run = FORM_ACTIONS[name]
        form = form_class(post)
        if not form.is_valid():
            raise DomainError("Please correct the form.", fields=form.errors)
        return run(user, incident, form.cleaned_data)
    if name == "hold":
        form = forms.HoldForm(post)
        if not form.is_valid():
            raise DomainError("Say why it is on hold.", fields=form.errors)
        return services.incident_transition(
            actor=user, incident=incident, action="hold", **form.cleaned_data
        )
    if name == "resolve":
        form = forms.ResolveForm(post)
        if not form.is_valid():
            raise DomainError("A resolution code and notes are required.", fields=form.errors)
        return services.incident_transition(
            actor=user, incident=incident, action="resolve", **form.cleaned_data
        )
    if name in ("start", "resume", "reopen", "close", "cancel"):
        return services.incident_transition(
            actor=user, incident=incident, action=name, reason=post.get("reason", "")
        )
    if name == "escalate":
        return services.incident_escalate(
            actor=user, incident=incident, reason=post.get("reason", "")
        )
    if name == "acknowledge":
        return services.incident_acknowledge(actor=user, incident=incident)
    if name == "set_parent":
        form = forms.ParentForm(post)
        if not form.is_valid():
            raise DomainError("Give the parent incident's number.", fields=form.errors)
        number = form.cleaned_data["parent"].strip().upper()
        parent = selectors.incident_list(viewer=user).filter(number=number).first()
        if parent is None:
            raise DomainError(
                f"No incident {number} that you may see.",
                fields={"parent": ["Check the number."]},
            )
        return major.incident_attach_child(actor=user, parent=parent, child=incident)
    if name == "clear_parent":
        return major.incident_detach_child(actor=user, child=incident)
    if name == "link":
        return _link(user, incident, post)
    if name == "unlink":
        link = related.record_link_for(viewer=user, record=incident, pk=post.get("link", ""))
        if link is None:
            raise DomainError("That link is already gone.")
        related.record_unlink(actor=user, link=link)
        return incident
    if name == "upload":
        if not is_agent(user):
            raise NotPermitted("Only agents attach files here.")
        form = forms.AttachmentUploadForm(post, request.FILES)
        if not form.is_valid():
            raise DomainError("Pick a file to attach.", fields=form.errors)
        attachment_store(
            record=incident,
            upload=form.cleaned_data["file"],
            uploaded_by=user,
            is_public=not form.cleaned_data["internal"],
        )
        return incident
    if name == "comment":
        services.incident_comment(
            actor=user,
            incident=incident,
            body=post.get("body", ""),
            internal=bool(post.get("internal")),
        )
        return incident
    raise Http404


def _link(user, incident, post):
    if not is_agent(user):
        raise NotPermitted(related.REFUSED)
    form = forms.RelatedRecordForm(post)
    if not form.is_valid():
        raise DomainError("Give the related record's number.", fields=form.errors)
    number = form.cleaned_data["number"].strip().upper()
    found = find_by_number(number, viewer=user)
    if found is None:
        raise DomainError(
            f"No record {number} that you may see.", fields={"number": ["Check the number."]}
        )
    related.record_link(actor=user, record=incident, other=found[1])
    return incident


@login_required
@require_POST
def incident_action(request, pk, name):
    incident = get_object_or_404(selectors.incident_list(viewer=request.user), pk=pk)
    error = None
    try:
        incident = _quick(request, incident, name)
    except NotPermitted as refusal:
        error = refusal.message
    except DomainError as refusal:
        fields = "; ".join(str(m) for msgs in (refusal.fields or {}).values() for m in msgs)
        error = (
            refusal.message
            if not fields or fields in refusal.message
            else (f"{refusal.message} {fields}")
        )
    notice = None if error else CONFIRMATIONS.get(name, "Done.")
    return record_response(request, pk, error=error, notice=notice)


def record_response(request, pk, *, error: str | None = None, notice: str | None = None, **extra):
    """The answer to an action posted from the incident page, whoever handled it: htmx gets
    the refreshed record panel, a plain post goes back to the page.

    ``extra`` reaches the panel's template, so a refused form can come back as it was filled.
    """
    incident = get_object_or_404(selectors.incident_list(viewer=request.user), pk=pk)
    if getattr(request, "htmx", None):
        # A refusal still answers 200: htmx swaps it in and the panel shows the message.
        context = _record_context(request, incident, error=error, notice=notice, **extra)
        return render(request, "incidents/_record.html", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("incidents:detail", pk=pk)


@agent_required
@require_POST
def saved_filter_save(request, name: str):
    """Save the queue's current filters and sort under a name the agent picks."""
    query = request.POST.get("query", "")
    # Filtering swaps only the results and pushes the new URL, so the page the agent is
    # looking at (the Referer) holds the freshest filters.
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.path == reverse("incidents:queue", args=[name]) and (
        not referer.netloc or referer.netloc == request.get_host()
    ):
        query = referer.query
    try:
        saved = saved_filters.saved_filter_create(
            actor=request.user, name=request.POST.get("name", ""), queue=name, query=query
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("incidents:queue", name=name)
    messages.success(request, f"Saved filter “{saved.name}”.")
    return redirect(saved_filter_url(saved))


@agent_required
@require_POST
def saved_filter_delete(request, pk: int):
    saved = get_object_or_404(selectors.saved_filter_list(viewer=request.user), pk=pk)
    saved_filters.saved_filter_delete(actor=request.user, saved_filter=saved)
    messages.success(request, f"Deleted the saved filter “{saved.name}”.")
    return redirect("incidents:queue", name=saved.queue)


def saved_filter_url(saved) -> str:
    url = reverse("incidents:queue", args=[saved.queue])
    return f"{url}?{saved.query}" if saved.query else url
