"""The self-service portal: report an issue, follow my tickets and services, read the
knowledge base.

"My tickets" lists every registered record type that says where its requesters follow it
(``portal_url``); a type without a page of its own may point there at ``servicedesk:record``.

Every ticket lookup goes through the viewer's own visibility, so a guessed id answers 404.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opsdesk.cmdb import services as cmdb
from opsdesk.core.attachments import attachment_store, attachments_for
from opsdesk.core.errors import DomainError
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.core.timeline import render_markdown, timeline_for
from opsdesk.core.views.generic import apply_domain_error, save_form
from opsdesk.incidents import services as incidents
from opsdesk.servicedesk import knowledge, selectors
from opsdesk.servicedesk.forms import PortalCommentForm, ReopenForm, ReportForm
from opsdesk.servicedesk.surveys import survey_token

SUGGESTIONS = 5
# The panel lists this many followed services; the rest are counted.
FOLLOWED_SHOWN = 25


def _status_context(request, notes=()) -> dict:
    followed = selectors.followed_services(viewer=request.user)
    used = selectors.services_used_by(viewer=request.user)
    return {
        "status": selectors.service_status(viewer=request.user),
        # "We know about this": open known errors on the services the viewer uses (all, for
        # someone with no history yet), so they follow the service instead of filing again.
        "known_errors": _known_error_rows(request.user, used, followed),
        "followed": followed[:FOLLOWED_SHOWN],
        "followed_more": max(0, followed.count() - FOLLOWED_SHOWN),
        "follow_choices": selectors.services_to_follow(viewer=request.user),
        "status_notes": notes,
    }


def _known_error_rows(viewer, used: set[int], followed) -> list[dict]:
    from opsdesk.problems.selectors import known_errors_on_services

    followed_ids = set(followed.values_list("pk", flat=True))
    rows = []
    for problem in known_errors_on_services(viewer=viewer, service_ids=used or None):
        for service in problem.services.all():
            if used and service.pk not in used:
                continue
            rows.append(
                {
                    "service": service,
                    "problem": problem,
                    "followed": service.pk in followed_ids,
                    "followable": service.ci_class.is_business_service,
                }
            )
    return rows


def _home_context(request, notes=()) -> dict:
    return {
        "tickets": selectors.my_tickets(viewer=request.user, limit=5),
        "owns_services": selectors.owned_services(viewer=request.user).exists(),
        "popular": knowledge.article_list(viewer=request.user)
        .filter(state="published", audience="public")
        .order_by("-views")[:5],
        **_status_context(request, notes),
    }


@login_required
def home(request):
    return render(request, "servicedesk/portal/home.html", _home_context(request))


@dataclass(frozen=True)
class StatusNote:
    """A message shown in the status panel itself (htmx swaps the panel, not the page)."""

    level_tag: str
    text: str

    def __str__(self):
        return self.text


@login_required
@require_POST
def service_follow(request):
    """Follow or unfollow a business service from the status panel (htmx, or a plain POST)."""
    action = request.POST.get("action")
    service = selectors.followable_service(viewer=request.user, pk=request.POST.get("service"))
    problem = ""
    if action not in ("follow", "unfollow"):
        problem = "Choose whether to follow or unfollow the service."
    elif service is None:
        problem = "Choose a service from the list."
    else:
        change = cmdb.service_subscribe if action == "follow" else cmdb.service_unsubscribe
        try:
            change(actor=request.user, service=service)
        except DomainError as refusal:
            problem = refusal.message
    if problem:
        note = StatusNote("error", problem)
    elif action == "follow":
        note = StatusNote("success", f"You follow {service}; we will mail you when it is down.")
    else:
        note = StatusNote("success", f"You no longer follow {service}.")
    if request.headers.get("HX-Request"):
        # htmx swaps only successful answers, so a refusal comes back as the panel saying why.
        context = _status_context(request, notes=[note])
        return render(request, "servicedesk/portal/_status.html", context)
    if problem:
        context = _home_context(request, notes=[note])
        return render(request, "servicedesk/portal/home.html", context, status=400)
    messages.success(request, note.text)
    return redirect("servicedesk:home")


@login_required
def my_services(request):
    """A service owner's view: open and major incidents, alerts and availability this month."""
    overviews = selectors.service_overviews(viewer=request.user)
    return render(
        request,
        "servicedesk/portal/my_services.html",
        {"overviews": overviews, "staff": is_agent(request.user)},
    )


@login_required
def my_tickets(request):
    """The requester's tickets of every record type, newest first; ``?type=`` keeps one."""
    kinds = selectors.portal_types()
    chosen = request.GET.get("type", "")
    if chosen not in {kind.key for kind in kinds}:
        chosen = ""
    rows = selectors.my_tickets(viewer=request.user, record_type=chosen)
    page_obj = Paginator(rows, 20).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "types": [(kind.key, kind.label) for kind in kinds],
        "chosen_type": chosen,
        "chosen_label": next((kind.label for kind in kinds if kind.key == chosen), ""),
    }
    return render(request, "servicedesk/portal/tickets.html", context)


def _report(request, form):
    with transaction.atomic():
        incident = incidents.incident_open(
            actor=request.user, caller=request.user, channel="portal", **form.incident_values()
        )
        upload = form.cleaned_data.get("attachment")
        if upload:
            attachment_store(record=incident, upload=upload, uploaded_by=request.user)
    return incident


@login_required
def report(request):
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        incident = save_form(form, lambda: _report(request, form))
        if incident is not None:
            messages.success(
                request, f"Thank you. {incident.number} is logged; we will be in touch."
            )
            return redirect("servicedesk:ticket", pk=incident.pk)
    return render(request, "servicedesk/portal/report.html", {"form": form})


@login_required
def suggestions(request):
    """htmx: known problems and articles matching what the requester is typing. A known error
    whose workaround is safe for requesters says "we know about this" before any article."""
    from opsdesk.problems.selectors import known_error_suggestions

    text = request.GET.get("short_description", "") + " " + request.GET.get("description", "")
    found = knowledge.article_search(viewer=request.user, text=text).filter(audience="public")
    known = known_error_suggestions(viewer=request.user, text=text, limit=2)
    return render(
        request,
        "servicedesk/portal/_suggestions.html",
        {"articles": found[:SUGGESTIONS], "known": known},
    )


def _ticket_context(request, incident, **extra):
    survey = selectors.survey_for(record=incident)
    timeline = list(timeline_for(record=incident, public_only=True))
    for entry in timeline:
        # Comments are Markdown, shown through core's safe renderer (raw HTML is text).
        entry.html = render_markdown(entry.body) if entry.body else ""
    return {
        "incident": incident,
        "timeline": timeline,
        "attachments": attachments_for(record=incident, public_only=True),
        "comment_form": PortalCommentForm(),
        "reopen_form": ReopenForm(),
        "survey": survey,
        "survey_token": survey_token(survey) if survey and not survey.answered else "",
        "is_resolved": incident.state in ticket_type("incident").workflow.resolved,
        **extra,
    }


@login_required
def ticket(request, pk):
    incident = selectors.portal_ticket(viewer=request.user, pk=pk)
    if incident is None:
        raise Http404
    return render(request, "servicedesk/portal/ticket.html", _ticket_context(request, incident))


def _comment(request, incident, form):
    with transaction.atomic():
        body = (form.cleaned_data.get("body") or "").strip()
        upload = form.cleaned_data.get("attachment")
        if upload:
            stored = attachment_store(record=incident, upload=upload, uploaded_by=request.user)
            body = f"{body}\n\nAttached {stored.original_name}.".strip()
        incidents.incident_comment(actor=request.user, incident=incident, body=body)


@login_required
@require_POST
def ticket_action(request, pk, name):
    incident = selectors.portal_ticket(viewer=request.user, pk=pk)
    if incident is None:
        raise Http404
    if name == "comment":
        form = PortalCommentForm(request.POST, request.FILES)
        if form.is_valid() and save_form(form, lambda: _comment(request, incident, form) or True):
            messages.success(request, "Your comment is added.")
            return redirect("servicedesk:ticket", pk=pk)
        context = _ticket_context(request, incident, comment_form=form)
        return render(request, "servicedesk/portal/ticket.html", context, status=400)
    if name == "confirm":
        try:
            incidents.incident_confirm_resolution(actor=request.user, incident=incident)
            messages.success(request, "Thank you for confirming. The ticket is closed.")
        except DomainError as refusal:
            messages.error(request, refusal.message)
        return redirect("servicedesk:ticket", pk=pk)
    if name == "reopen":
        form = ReopenForm(request.POST)
        if form.is_valid():
            try:
                incidents.incident_transition(
                    actor=request.user,
                    incident=incident,
                    action="reopen",
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, "The ticket is open again; we are on it.")
                return redirect("servicedesk:ticket", pk=pk)
            except DomainError as refusal:
                apply_domain_error(form, refusal)
        context = _ticket_context(request, incident, reopen_form=form)
        return render(request, "servicedesk/portal/ticket.html", context, status=400)
    raise Http404


def _record_context(request, kind, record, **extra) -> dict:
    survey = selectors.survey_for(record=record)
    timeline = list(timeline_for(record=record, public_only=True))
    for entry in timeline:
        entry.html = render_markdown(entry.body) if entry.body else ""
    return {
        "kind": kind,
        "record": record,
        "row": selectors.portal_ticket_row(kind, record),
        "timeline": timeline,
        "attachments": attachments_for(record=record, public_only=True),
        "comment_form": PortalCommentForm(),
        "is_finished": record.state in kind.workflow.final,
        "survey": survey,
        "survey_token": survey_token(survey) if survey and not survey.answered else "",
        **extra,
    }


def _portal_record(request, record_type, pk):
    kind = selectors.portal_type(record_type)
    record = selectors.portal_ticket(viewer=request.user, pk=pk, record_type=record_type)
    if kind is None or record is None:
        raise Http404
    return kind, record


@login_required
def record(request, record_type, pk):
    """The portal page of a ticket of any record type: what it is, where it stands, the public
    conversation. A type with a page of its own (incidents) is sent there."""
    kind, found = _portal_record(request, record_type, pk)
    assert kind.portal_url is not None
    own = kind.portal_url(found)
    if own != request.path:
        return redirect(own)
    return render(request, "servicedesk/portal/record.html", _record_context(request, kind, found))


@login_required
@require_POST
def record_comment(request, record_type, pk):
    kind, found = _portal_record(request, record_type, pk)
    form = PortalCommentForm(request.POST, request.FILES)

    def comment():
        with transaction.atomic():
            body = (form.cleaned_data.get("body") or "").strip()
            upload = form.cleaned_data.get("attachment")
            if upload:
                stored = attachment_store(record=found, upload=upload, uploaded_by=request.user)
                body = f"{body}\n\nAttached {stored.original_name}.".strip()
            tickets.ticket_comment(actor=request.user, record=found, body=body)
        return True

    if form.is_valid() and save_form(form, comment):
        messages.success(request, "Your comment is added.")
        return redirect("servicedesk:record", record_type=record_type, pk=pk)
    context = _record_context(request, kind, found, comment_form=form)
    return render(request, "servicedesk/portal/record.html", context, status=400)


@login_required
def kb_search(request):
    query = request.GET.get("q", "").strip()
    if not query:
        return render(request, "servicedesk/portal/kb_search.html", _kb_landing(request))
    found = knowledge.article_search(viewer=request.user, text=query).filter(audience="public")
    return render(
        request, "servicedesk/portal/kb_search.html", {"q": query, "articles": found[:50]}
    )


KB_LANDING_SHOWN = 8


def _kb_landing(request) -> dict:
    """Before a search: the shelves, the most helpful and the newest articles the requester
    may read (published and meant for everyone); one shelf's articles when one is chosen."""
    readable = knowledge.article_list(viewer=request.user).filter(
        state="published", audience="public"
    )
    counts = dict(
        readable.exclude(category=None)
        .values_list("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )
    shelves = [
        {"category": category, "depth": depth, "count": counts.get(category.pk, 0)}
        for depth, category in knowledge.category_tree()
    ]
    # A shelf counts what it and the shelves inside it hold; empty shelves are not shown.
    for index, row in enumerate(shelves):
        row["total"] = row["count"]
        for inner in shelves[index + 1 :]:
            if inner["depth"] <= row["depth"]:
                break
            row["total"] += inner["count"]
    chosen = None
    raw_category = request.GET.get("category", "")
    if raw_category.isdigit():
        wanted = int(raw_category)
        chosen = next(
            (r["category"] for r in shelves if r["total"] and r["category"].pk == wanted), None
        )
    context = {
        "q": "",
        "landing": True,
        "shelves": [r for r in shelves if r["total"]],
        "chosen": chosen,
        "helpful": readable.filter(helpful_yes__gt=0).order_by(
            "-helpful_yes", "helpful_no", "title"
        )[:KB_LANDING_SHOWN],
        "recent": readable.order_by(F("published_at").desc(nulls_last=True), "-id")[
            :KB_LANDING_SHOWN
        ],
        "has_articles": readable.exists(),
    }
    if chosen is not None:
        context["shelf_articles"] = readable.filter(category=chosen).order_by("title")[:50]
    return context


@login_required
def kb_article(request, number):
    article = knowledge.article_list(viewer=request.user).filter(number=number).first()
    if article is None or article.state != "published":
        raise Http404
    knowledge.article_viewed(article=article)
    context = {
        "article": article,
        "body": render_markdown(article.body),
        "attachments": attachments_for(record=article),
        "from_report": request.GET.get("from") == "report",
    }
    return render(request, "servicedesk/portal/kb_article.html", context)


@login_required
@require_POST
def kb_feedback(request, number):
    article = (
        knowledge.article_list(viewer=request.user).filter(number=number, state="published").first()
    )
    if article is None:
        raise Http404
    helpful = request.POST.get("helpful") == "yes"
    knowledge.article_vote(actor=request.user, article=article, helpful=helpful)
    if helpful and request.POST.get("from") == "report":
        # Read from the report form and solved: the ticket that would have been is deflected.
        knowledge.article_deflected(actor=request.user, article=article)
        messages.success(request, "Glad that helped. No ticket needed.")
        return redirect("servicedesk:home")
    messages.success(request, "Thank you for the feedback.")
    if request.POST.get("from") == "report":
        return redirect("servicedesk:report")
    return redirect("servicedesk:kb-article", number=number)
