"""Problem pages: the queue, raising a problem (from incidents), the record with its analysis,
known error, linked incidents and moves. Every write goes through the services."""

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets.registry import panels_for, ticket_type
from opsdesk.core.timeline import timeline_for
from opsdesk.core.views.generic import agent_required, form_page, list_page, save_form
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import incident_list
from opsdesk.problems import selectors, services
from opsdesk.problems.forms import (
    AnalysisForm,
    KnownErrorForm,
    LinkForm,
    MoveForm,
    ProblemCreateForm,
    numbers_in,
)
from opsdesk.problems.queues import QUEUES, queue_filter
from opsdesk.problems.workflow import OPEN


@agent_required
def queue(request):
    name = request.GET.get("queue", "open")
    if name not in QUEUES:
        name = "open"
    problems = selectors.problem_list(viewer=request.user).filter(state__in=list(OPEN))
    problems = queue_filter(name, problems, request.user)
    return list_page(
        request,
        queryset=problems.order_by("priority", "opened_at", "pk"),
        filter_form=None,
        template="problems/queue.html",
        rows_template="problems/_rows.html",
        extra={"queues": {key: label for key, (label, _) in QUEUES.items()}, "queue": name},
    )


def _incidents(request, numbers: list[str]) -> tuple[list[Incident], list[str]]:
    found = {i.number: i for i in incident_list(viewer=request.user).filter(number__in=numbers)}
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]


@agent_required
def create(request):
    initial = {}
    source = request.GET.get("incidents", "")
    if source:
        incidents, _ = _incidents(request, numbers_in(source))
        if incidents:
            first = incidents[0]
            initial = {
                "short_description": first.short_description,
                "description": first.description,
                "impact": first.impact,
                "urgency": first.urgency,
                "category": first.category,
                "assignment_group": first.assignment_group,
                "incidents": " ".join(i.number for i in incidents),
            }
    form = ProblemCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        incidents, unknown = _incidents(request, numbers_in(data.pop("incidents")))
        if unknown:
            form.add_error("incidents", f"No such incident: {', '.join(unknown)}.")
        else:
            problem = save_form(
                form,
                lambda: services.problem_create(
                    actor=request.user,
                    incidents=incidents,
                    reason="Raised from the incident" if incidents else "",
                    **data,
                ),
            )
            if problem is not None:
                messages.success(request, f"Problem {problem.number} is raised.")
                return redirect("problems:detail", number=problem.number)
    return form_page(
        request,
        form,
        title="Raise a problem",
        cancel_url=reverse("problems:queue"),
        submit_label="Raise the problem",
    )


def _problem(request, number):
    return get_object_or_404(selectors.problem_list(viewer=request.user), number=number.upper())


REASON_MOVES = {"reopen", "cancel", "accept", "resolve"}


@agent_required
def detail(request, number):
    problem = _problem(request, number)
    workflow = ticket_type("problem").workflow
    moves = [(t.name, t.label) for t in workflow.allowed(problem.state)]
    return render(
        request,
        "problems/detail.html",
        {
            "problem": problem,
            "record": problem,
            "is_agent": True,
            "moves": [(n, label) for n, label in moves if n not in REASON_MOVES],
            "reason_moves": [(n, label) for n, label in moves if n in REASON_MOVES],
            "analysis_form": AnalysisForm(instance=problem, prefix="rca"),
            "known_form": KnownErrorForm(instance=problem, prefix="ke"),
            "link_form": LinkForm(),
            "links": selectors.links_of(problem),
            "timeline": timeline_for(record=problem),
            "panels": panels_for("problem"),
            "is_open": problem.state in OPEN,
            "open_incidents": selectors.open_incident_count(problem),
            "recurrences": selectors.recurrences_of(problem),
            "publishable": problem.state in services.PUBLISHABLE,
        },
    )


@agent_required
def edit(request, number, part):
    problem = _problem(request, number)
    form_class, prefix = {
        "analysis": (AnalysisForm, "rca"),
        "known-error": (KnownErrorForm, "ke"),
    }.get(part, (None, None))
    if form_class is None or request.method != "POST":
        raise Http404
    form = form_class(request.POST, instance=problem, prefix=prefix)
    if form.is_valid():
        saved = save_form(
            form,
            lambda: services.problem_update(
                actor=request.user,
                problem=problem,
                expected_version=form.cleaned_data.get("version"),
                **form.values(),
            ),
        )
        if saved is not None:
            messages.success(request, f"{problem.number} is saved.")
            return redirect("problems:detail", number=problem.number)
    errors = "; ".join(m for msgs in form.errors.values() for m in msgs)
    messages.error(request, f"Not saved: {errors}")
    return redirect("problems:detail", number=problem.number)


@agent_required
def action(request, number, name):
    if request.method != "POST":
        raise Http404
    problem = _problem(request, number)
    try:
        if name == "link":
            form = LinkForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Give the incident numbers to link.")
                return redirect("problems:detail", number=problem.number)
            incidents, unknown = _incidents(request, numbers_in(form.cleaned_data["incidents"]))
            if unknown:
                messages.error(request, f"No such incident: {', '.join(unknown)}.")
                return redirect("problems:detail", number=problem.number)
            added = services.problem_link_incidents(
                actor=request.user,
                problem=problem,
                incidents=incidents,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"{added} incident(s) linked to {problem.number}.")
        elif name == "unlink":
            incident = get_object_or_404(Incident, number=request.POST.get("incident", ""))
            services.problem_unlink_incident(actor=request.user, problem=problem, incident=incident)
            messages.success(request, f"{incident.number} is unlinked.")
        elif name == "publish":
            services.known_error_publish(actor=request.user, problem=problem)
            messages.success(
                request, f"The known error of {problem.number} is sent to the knowledge base."
            )
        elif name in {t.name for t in ticket_type("problem").workflow.transitions}:
            form = MoveForm(request.POST)
            if not form.is_valid():
                errors = "; ".join(m for msgs in form.errors.values() for m in msgs)
                messages.error(request, f"Not moved: {errors}")
                return redirect("problems:detail", number=problem.number)
            resolve_incidents = form.cleaned_data.get("resolve_incidents", False)
            moved = services.problem_transition(
                actor=request.user,
                problem=problem,
                action=name,
                reason=form.cleaned_data.get("reason", ""),
                review_on=form.cleaned_data.get("review_on"),
                resolve_incidents=resolve_incidents,
                message=form.cleaned_data.get("message", ""),
            )
            messages.success(request, f"{moved.number} is {moved.get_state_display().lower()}.")
            if resolve_incidents:
                messages.info(
                    request,
                    "Its open incidents are being resolved; their callers get your message.",
                )
        else:
            raise Http404
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, refusal.message)
    return redirect("problems:detail", number=problem.number)


@login_required
def suggest(request):
    """htmx: known errors matching what is being typed at intake (requesters: public ones)."""
    text = f"{request.GET.get('short_description', '')} {request.GET.get('description', '')}"

    def number(name):
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    found = selectors.known_error_suggestions(
        viewer=request.user, text=text, service_id=number("service"), ci_id=number("ci")
    )
    return render(
        request,
        "problems/_suggestions.html",
        {"suggestions": found, "is_agent": is_agent(request.user)},
    )


@agent_required
@require_POST
def apply(request, number):
    problem = _problem(request, number)
    incident = get_object_or_404(
        incident_list(viewer=request.user), number=request.POST.get("incident", "").upper()
    )
    try:
        services.known_error_apply(actor=request.user, problem=problem, incident=incident)
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, f"The workaround of {problem.number} is sent and {incident.number} resolved."
        )
    return redirect("incidents:detail", pk=incident.pk)


@agent_required
@require_POST
def from_incidents(request):
    """The incident queue's bulk bar: the ticked incidents open the create form, linked."""
    ids = [int(i) for i in request.POST.getlist("incidents") if i.isdigit()]
    numbers = list(
        incident_list(viewer=request.user)
        .filter(pk__in=ids)
        .order_by("number")
        .values_list("number", flat=True)
    )
    if not numbers:
        messages.error(request, "Tick the incidents the problem explains.")
        return redirect("incidents:queue", "open")
    return redirect(f"{reverse('problems:create')}?{urlencode({'incidents': ' '.join(numbers)})}")


KEDB_COLUMNS = (
    "Number",
    "Title",
    "State",
    "Services",
    "Symptoms",
    "Root cause",
    "Workaround",
    "Linked incidents",
    "Review date",
    "Fixed at",
)


def _cell(value) -> str:
    # A cell a spreadsheet would run as a formula is kept as text.
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@agent_required
def kedb_export(request):
    """The known-error database as CSV, for the desk."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="known-errors.csv"'
    writer = csv.writer(response)
    writer.writerow(KEDB_COLUMNS)
    zone = timezone.get_current_timezone()
    for problem in selectors.kedb(viewer=request.user):
        writer.writerow(
            [
                _cell(value)
                for value in (
                    problem.number,
                    problem.short_description,
                    problem.get_state_display(),
                    ", ".join(sorted(s.name for s in problem.services.all())),
                    problem.symptoms,
                    problem.root_cause,
                    problem.workaround,
                    problem.incident_count,
                    problem.review_on.isoformat() if problem.review_on else "",
                    problem.fixed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                    if problem.fixed_at
                    else "",
                )
            ]
        )
    return response
