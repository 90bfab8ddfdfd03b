"""The workspace queue of any registered record type: its queues as tabs, filters, sortable
columns, pages, bulk assign and move, and saved filters. Nothing here names a record type."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.forms import TicketBulkForm, TicketQueueFilterForm
from opsdesk.core.tickets import queues as q
from opsdesk.core.tickets.registry import TicketType, ticket_type, ticket_types
from opsdesk.core.views.generic import agent_required, wants_rows

PAGE_SIZE = 50


def _kind(record_type: str) -> TicketType:
    try:
        return ticket_type(record_type)
    except KeyError:
        raise Http404 from None


def queue_url(kind: TicketType, queue: str) -> str:
    return reverse("core:queue", args=[kind.key, queue])


def _columns(sort: str) -> list[dict]:
    """The table's headers; each sortable one links to its sort, the current one marked."""
    heads = [
        ("number", "Number"),
        ("", "Short description"),
        ("priority", "Priority"),
        ("state", "State"),
        ("group", "Group"),
        ("assignee", "Assignee"),
        ("opened", "Opened"),
    ]
    return [{"sort": key, "label": label, "current": key == sort} for key, label in heads]


@agent_required
def queue_index(request):
    """Every registered record type's queue, with what is open and unassigned in it."""
    rows = []
    for kind in ticket_types():
        assert kind.visible is not None
        open_records = kind.visible(request.user).filter(state__in=list(kind.open_states))
        rows.append(
            {
                "kind": kind,
                "url": kind.queue_url() if kind.queue_url else queue_url(kind, "open"),
                "open": open_records.count(),
                "unassigned": open_records.filter(assignee=None).count(),
            }
        )
    return render(request, "core/queues/index.html", {"rows": rows})


@agent_required
def queue(request, record_type: str, name: str = ""):
    kind = _kind(record_type)
    tabs = q.queues_of(kind)
    name = name or next(iter(tabs))
    if name not in tabs:
        raise Http404
    form = TicketQueueFilterForm(request.GET or None, kind=kind, sorts=q.SORTS)
    data = form.cleaned_data if form.is_valid() else {}
    sort = data.get("sort") or q.DEFAULT_SORT
    # A state filter picks the states the queue shows, finished ones included.
    wanted = data.get("state")
    records = q.queue_records(
        kind, viewer=request.user, queue=name, states=[wanted] if wanted else None, sort=sort
    )
    page_obj = Paginator(form.filter(records), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    without_sort = params.copy()
    without_sort.pop("sort", None)
    context = {
        "kind": kind,
        "queue": name,
        "queues": {key: tab.label for key, tab in tabs.items()},
        "queue_label": tabs[name].label,
        "filter_form": form,
        "page_obj": page_obj,
        "rows": [
            {
                "record": record,
                "url": kind.url(record),
                "state_label": kind.workflow.states.get(record.state, record.state),
                "priority_label": record.get_priority_display(),
            }
            for record in page_obj.object_list
        ],
        "columns": _columns(sort),
        "sort_query": without_sort.urlencode(),
        "filtered": any(value for key, value in without_sort.items()),
        # Its fields share names with the filters': ids of their own keep each label on its field.
        "bulk_form": TicketBulkForm(kind=kind, auto_id="id_bulk_%s"),
        "saved_filters": q.saved_filter_list(viewer=request.user, record_type=kind.key),
        "current_query": params.urlencode(),
    }
    template = "core/queues/_rows.html" if wants_rows(request) else "core/queues/queue.html"
    return render(request, template, context)


def _back(request, kind: TicketType) -> str:
    back = request.POST.get("next", "")
    # Only a path on this site: "//host/..." or "https://..." would send the agent elsewhere.
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None) or not back.startswith("/"):
        back = reverse("core:queue-default", args=[kind.key])
    return back


@agent_required
@require_POST
def bulk_update(request, record_type: str):
    kind = _kind(record_type)
    ids = [int(i) for i in request.POST.getlist("records") if i.isdigit() and len(i) < 19]
    form = TicketBulkForm(request.POST, kind=kind, ids=ids)
    back = _back(request, kind)
    noun = kind.label.lower()
    if not form.is_valid():
        # Say what was wrong with which field: a mistyped assignee is not "nothing picked".
        problems = [
            f"{form.fields[field].label}: {' '.join(errors)}"
            if field in form.fields
            else " ".join(errors)
            for field, errors in form.errors.items()
        ]
        messages.error(request, "Nothing was changed. " + " ".join(problems))
        return redirect(back)
    data = form.cleaned_data
    try:
        report = q.ticket_bulk_update(
            kind,
            actor=request.user,
            ids=data["records"],
            assignment_group=data["assignment_group"],
            assignee=data["assignee"],
            action=data["action"],
            reason=data["reason"],
        )
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, f"Nothing was changed. {refusal.message}")
        return redirect(back)
    (messages.success if report.changed else messages.error)(request, report.summary(noun))
    for number, why in report.refused.items():
        messages.warning(request, f"{number} was not changed: {why}")
    return redirect(back)


@agent_required
@require_POST
def saved_filter_save(request, record_type: str, name: str):
    kind = _kind(record_type)
    try:
        saved = q.saved_filter_create(
            actor=request.user,
            record_type=kind.key,
            name=request.POST.get("name", ""),
            queue=name,
            query=request.POST.get("query", ""),
            queues=q.queues_of(kind),
        )
    except DomainError as refusal:
        messages.error(request, f"The filter was not saved: {refusal.message}")
        target = name if name in q.queues_of(kind) else next(iter(q.queues_of(kind)))
        return redirect(queue_url(kind, target))
    messages.success(request, f"Saved filter “{saved.name}”.")
    return redirect(saved_filter_url(kind, saved))


@agent_required
@require_POST
def saved_filter_delete(request, record_type: str, pk: int):
    kind = _kind(record_type)
    saved = get_object_or_404(q.saved_filter_list(viewer=request.user, record_type=kind.key), pk=pk)
    q.saved_filter_delete(actor=request.user, saved_filter=saved)
    messages.success(request, f"Deleted the saved filter “{saved.name}”.")
    target = saved.queue if saved.queue in q.queues_of(kind) else next(iter(q.queues_of(kind)))
    return redirect(queue_url(kind, target))


def saved_filter_url(kind: TicketType, saved) -> str:
    url = queue_url(kind, saved.queue)
    return f"{url}?{saved.query}" if saved.query else url
