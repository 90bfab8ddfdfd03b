"""Service hours: which business calendar each service's availability is agreed in."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from opsdesk.cmdb.models import SERVICE_CLASSES, ConfigurationItem
from opsdesk.core.views.generic import PAGE_SIZE, admin_required, save_form
from opsdesk.reporting.selectors import service_hours_calendar_id, service_hours_overview
from opsdesk.reporting.services.service_hours import service_hours_set
from opsdesk.sla.models import BusinessCalendar

DEFAULT_HOURS = "24x7 in the organisation's time zone (default)"


class ServiceHoursForm(forms.Form):
    # One small form used by this page only; it lives beside its view.
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.filter(ci_class__key__in=SERVICE_CLASSES).order_by(
            "name"
        ),
        error_messages={"invalid_choice": "Choose one of the services."},
    )
    calendar = forms.ModelChoiceField(
        label="Service hours",
        queryset=BusinessCalendar.objects.order_by("name"),
        required=False,
        empty_label=DEFAULT_HOURS,
        error_messages={"invalid_choice": "Choose one of the business calendars."},
        help_text="Availability counts only the time inside these hours.",
    )


@admin_required
def service_hours(request):
    chosen = request.GET.get("service")
    initial = {"service": chosen, "calendar": service_hours_calendar_id(service_id=chosen)}
    form = ServiceHoursForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        service, calendar = form.cleaned_data["service"], form.cleaned_data["calendar"]
        done = save_form(
            form,
            lambda: (
                service_hours_set(actor=request.user, service=service, calendar=calendar) or True
            ),
        )
        if done:
            hours = calendar.name if calendar else DEFAULT_HOURS
            messages.success(request, f"{service}'s availability now counts {hours}.")
            return redirect("reporting:service_hours")
    page_obj = Paginator(service_hours_overview(viewer=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reporting/service_hours.html",
        {"form": form, "page_obj": page_obj, "default_hours": DEFAULT_HOURS},
        status=400 if form.is_bound and form.errors else 200,
    )
