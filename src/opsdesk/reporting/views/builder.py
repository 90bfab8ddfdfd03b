"""The report builder: a measure, a period, filters and a grouping; its table and chart; saved
and shared reports."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.cmdb.selectors import service_list
from opsdesk.core.errors import DomainError
from opsdesk.core.models import Team
from opsdesk.core.models.tickets import TicketPriority
from opsdesk.core.tickets.registry import ticket_types
from opsdesk.core.views.generic import agent_required
from opsdesk.reporting import metrics
from opsdesk.reporting.charts import result_png
from opsdesk.reporting.metrics import FilterError
from opsdesk.reporting.metrics.base import GROUPINGS
from opsdesk.reporting.models import Frequency, Weekday
from opsdesk.reporting.selectors import metric_result, saved_report_list
from opsdesk.reporting.services.reports import (
    DEFAULT_PERIOD,
    PERIODS,
    QUERY_KEYS,
    builder_query,
    saved_report_create,
    saved_report_query,
    saved_report_share,
)

PAGE_SIZE = 25


def _any(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *[(str(k), str(v)) for k, v in choices]]


class BuilderForm(forms.Form):
    """The builder's choices, shown with their labels; ``builder_query`` checks the values."""

    metric = forms.ChoiceField(label="Measure", required=False)
    record_type = forms.ChoiceField(label="Record type", required=False)
    period = forms.ChoiceField(label="Period", required=False, choices=list(PERIODS.items()))
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.ChoiceField(label="Team", required=False)
    service = forms.ChoiceField(label="Service", required=False)
    priority = forms.ChoiceField(label="Priority", required=False)
    group_by = forms.ChoiceField(
        label="Group by", required=False, choices=[(k, v) for k, v in GROUPINGS.items()]
    )
    time = forms.ChoiceField(
        label="Durations in",
        required=False,
        choices=[("", "Calendar time"), ("business", "Business time")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [
            ("", "Choose a measure"),
            *[(m.key, m.label) for m in metrics.all_metrics()],
        ]
        self.fields["record_type"].choices = _any(
            "Every record type", [(tt.key, tt.label) for tt in ticket_types()]
        )
        self.fields["team"].choices = _any(
            "Every team", Team.objects.order_by("name").values_list("pk", "name")
        )
        self.fields["service"].choices = _any(
            "Every service", service_list().order_by("name").values_list("pk", "name")
        )
        self.fields["priority"].choices = _any("Every priority", TicketPriority.choices)


class SaveForm(forms.Form):
    name = forms.CharField(label="Report name", max_length=120, required=False)
    shared = forms.BooleanField(label="Share with every agent", required=False)


class SubscribeForm(forms.Form):
    frequency = forms.ChoiceField(label="How often", choices=Frequency.choices)
    weekday = forms.TypedChoiceField(
        label="Weekday", choices=Weekday.choices, coerce=int, required=False, initial=0
    )
    day_of_month = forms.TypedChoiceField(
        label="Day of the month",
        choices=[(d, str(d)) for d in range(1, 29)],
        coerce=int,
        required=False,
        initial=1,
    )
    hour = forms.TypedChoiceField(
        label="Time of day",
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        coerce=int,
        initial=8,
    )


def _put_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    for name, texts in errors.items():
        form.add_error(name if name in form.fields else None, texts)


def _built(request, data):
    """The builder form and, when its values make a report, the query and the result."""
    asked = any(data.get(name) for name in ("metric", *QUERY_KEYS))
    data = data.copy()
    data.setdefault("period", DEFAULT_PERIOD)  # the period select shows the one computed
    form = BuilderForm(data)
    built = result = None
    if asked:
        form.is_valid()
        try:
            built = builder_query(data)
        except FilterError as exc:
            _put_errors(form, exc.errors)
        else:
            result = metric_result(key=built.metric_key, filters=built.filters, viewer=request.user)
    return form, built, result


def _builder_page(request, *, data, save_form=None, status=200):
    form, built, result = _built(request, data)
    if form.errors and status == 200:
        status = 400
    query = QueryDict(built.query) if built else None
    chart_query = ""
    if built is not None:
        chart = QueryDict(built.query, mutable=True)
        chart["metric"] = built.metric_key
        chart_query = chart.urlencode()
    return render(
        request,
        "reporting/builder/builder.html",
        {
            "form": form,
            "built": built,
            "query": query,
            "chart_query": chart_query,
            "result": result,
            "save_form": save_form or SaveForm(),
            "recent": saved_report_list(viewer=request.user)[:10],
        },
        status=status,
    )


@agent_required
def builder(request):
    return _builder_page(request, data=request.GET)


@agent_required
def builder_chart(request):
    """The chart of the builder's report as a PNG (what the mail carries, the same picture)."""
    try:
        built = builder_query(request.GET)
    except FilterError:
        return HttpResponse("This report cannot be drawn.", status=400, content_type="text/plain")
    result = metric_result(key=built.metric_key, filters=built.filters, viewer=request.user)
    response = HttpResponse(result_png(result), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


@agent_required
@require_POST
def builder_save(request):
    save_form = SaveForm(request.POST)
    save_form.is_valid()
    try:
        report = saved_report_create(
            actor=request.user,
            name=request.POST.get("name", ""),
            query=request.POST,
            shared=request.POST.get("shared") in ("on", "true", "1"),
        )
    except DomainError as error:
        # The name's message goes by the name; the measure's and filters' by theirs above.
        if "name" in error.fields:
            save_form.add_error("name", error.fields["name"])
        else:
            save_form.add_error(None, error.message)
        return _builder_page(request, data=request.POST, save_form=save_form, status=400)
    messages.success(request, f"The report {report.name} is saved.")
    return redirect("reporting:saved-report", pk=report.pk)


@agent_required
def saved_list(request):
    page_obj = Paginator(saved_report_list(viewer=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reporting/builder/saved_list.html",
        {"page_obj": page_obj, "objects": page_obj.object_list},
    )


@agent_required
def saved_detail(request, pk):
    report = get_object_or_404(saved_report_list(viewer=request.user), pk=pk)
    result = error = None
    try:
        built = saved_report_query(report)
    except FilterError:
        built = None
        error = "This report's measure or filters no longer exist; build it again."
    else:
        result = metric_result(key=built.metric_key, filters=built.filters, viewer=request.user)
    chart_query = ""
    if built is not None:
        chart = QueryDict(built.query, mutable=True)
        chart["metric"] = built.metric_key
        chart_query = chart.urlencode()
    return render(
        request,
        "reporting/builder/saved_detail.html",
        {
            "report": report,
            "result": result,
            "error": error,
            "chart_query": chart_query,
            "edit_url": f"{reverse('reporting:builder')}?{chart_query}" if chart_query else "",
            "subscribe_form": SubscribeForm(initial={"frequency": Frequency.WEEKLY}),
            "is_owner": report.owner_id == request.user.pk,
        },
    )


@agent_required
@require_POST
def saved_share(request, pk):
    report = get_object_or_404(saved_report_list(viewer=request.user), pk=pk)
    shared = request.POST.get("shared") == "1"
    try:
        saved_report_share(actor=request.user, report=report, shared=shared)
    except DomainError as error:
        raise PermissionDenied(error.message) from error
    if shared:
        messages.success(request, f"The report {report.name} is shared with every agent.")
    else:
        messages.success(request, f"The report {report.name} is yours alone again.")
    return redirect("reporting:saved-report", pk=report.pk)
