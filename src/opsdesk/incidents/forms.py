"""Forms of the agent workspace; the views hand ``cleaned_data`` to the incident services."""

from django import forms

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.models import Team
from opsdesk.core.pickers import PersonField
from opsdesk.incidents.keyset import SORTS
from opsdesk.incidents.models import (
    Category,
    Channel,
    HoldReason,
    Impact,
    Priority,
    ResolutionCode,
    State,
    Urgency,
)


# The fields an agent sets when logging and corrects later, alike in both forms.
def caller_field():
    return PersonField(help_text="Who reported it: type a name, e-mail or username.")


def category_field():
    return forms.ModelChoiceField(
        queryset=Category.objects.filter(active=True, parent__isnull=True), required=False
    )


def service_field():
    return forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.filter(ci_class__key="business_service"),
        required=False,
    )


def ci_field():
    return forms.ModelChoiceField(
        label="CI", queryset=ConfigurationItem.objects.all(), required=False
    )


class IncidentCreateForm(forms.Form):
    caller = caller_field()
    short_description = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    category = category_field()
    subcategory = forms.ModelChoiceField(
        queryset=Category.objects.filter(active=True, parent__isnull=False), required=False
    )
    service = service_field()
    ci = ci_field()
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, initial=Impact.LOW)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.LOW)
    assignment_group = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, empty_label="By assignment rules"
    )
    confidential = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caller"].widget.attrs["autofocus"] = True


class QueueFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *State.choices])
    priority = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any priority"), *Priority.choices],
    )
    assignment_group = forms.ModelChoiceField(
        label="Group", required=False, queryset=Team.objects.all(), empty_label="Any group"
    )
    sort = forms.ChoiceField(
        required=False, choices=[(k, label) for k, (_, _, label) in SORTS.items()]
    )

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["q"]:
            from django.db.models import Q

            q = data["q"].strip()
            queryset = queryset.filter(
                Q(number__iexact=q)
                | Q(short_description__icontains=q)
                | Q(description__icontains=q)
            )
        if data["state"]:
            queryset = queryset.filter(state=data["state"])
        if data["priority"]:
            queryset = queryset.filter(priority=data["priority"])
        if data["assignment_group"]:
            queryset = queryset.filter(assignment_group=data["assignment_group"])
        return queryset


class BulkForm(forms.Form):
    incidents = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    assignment_group = forms.ModelChoiceField(
        required=False, queryset=Team.objects.all(), empty_label="Keep group"
    )
    assignee = PersonField(
        scope="agents", required=False, help_text="Empty: keep each incident's assignee."
    )
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Keep state"), ("start", "Start work"), ("cancel", "Cancel")],
    )
    reason = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incidents"].choices = [(i, i) for i in ids]


class HoldForm(forms.Form):
    hold_reason = forms.ChoiceField(choices=HoldReason.choices)
    reason = forms.CharField(required=False, max_length=2000)


class ResolveForm(forms.Form):
    resolution_code = forms.ModelChoiceField(queryset=ResolutionCode.objects.filter(active=True))
    resolution_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000)


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20000)
    internal = forms.BooleanField(required=False, label="Internal work note")


class AssignForm(forms.Form):
    assignment_group = forms.ModelChoiceField(queryset=Team.objects.all())
    assignee = PersonField(
        scope="agents", required=False, help_text="An agent: type a name, e-mail or username."
    )


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)
    reason = forms.CharField(max_length=2000, help_text="Kept in the audit trail.")


class DeclareMajorForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    cadence_minutes = forms.IntegerField(
        min_value=5, max_value=1440, initial=30, label="Stakeholder update every (minutes)"
    )


class StakeholderUpdateForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=20000, label="Update for stakeholders"
    )


class EndMajorForm(forms.Form):
    """Ending a major incident asks for the outage window: service availability counts it."""

    outage_start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    outage_end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class IncidentEditForm(forms.Form):
    """The record's descriptive fields, as an agent corrects them on the record page."""

    caller = caller_field()
    category = category_field()
    service = service_field()
    ci = ci_field()
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def for_incident(cls, incident):
        return cls(
            initial={
                "caller": incident.caller_id,
                "category": incident.category_id,
                "service": incident.service_id,
                "ci": incident.ci_id,
                "impact": incident.impact,
                "urgency": incident.urgency,
                "description": incident.description,
                "version": incident.version,
            },
            auto_id="id_edit_%s",
        )


class ParentForm(forms.Form):
    parent = forms.CharField(
        label="Parent incident number", max_length=30, help_text="For example INC0001234."
    )


class RelatedRecordForm(forms.Form):
    number = forms.CharField(
        label="Related record number", max_length=30, help_text="For example INC0001234."
    )


class AttachmentUploadForm(forms.Form):
    file = forms.FileField()
    internal = forms.BooleanField(label="Internal (the caller does not see it)", required=False)
