"""Forms of access management: asking for access, reviewing it, revoking it. They check and
shape input; services write."""

from django import forms

from opsdesk.access.models import Decision, NoAnswer, ReviewerSource
from opsdesk.core.pickers import PersonField


class AccessOrderForm(forms.Form):
    requested_for = PersonField(
        scope="colleagues",
        label="Who is it for?",
        required=False,
        help_text="Leave empty for yourself; you may also ask for the people you manage.",
    )
    valid_from = forms.DateTimeField(
        label="From",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Empty: as soon as it is approved.",
    )
    valid_to = forms.DateTimeField(
        label="Until",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Empty: the package's usual length.",
    )
    justification = forms.CharField(
        label="Why do you need it?",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sod_exception = forms.CharField(
        label="Why is an exception needed?",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when this access conflicts with what is already held.",
    )
    sod_exception_until = forms.DateField(
        label="Exception until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[(v, label) for v, label in Decision.choices if v],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label="Comment", required=False, max_length=2000)
    shorten_to = forms.DateTimeField(
        label="New end (when shortening)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class DelegateForm(forms.Form):
    to = PersonField(scope="colleagues", label="Give it to")
    reason = forms.CharField(label="Why", max_length=2000)


class CampaignForm(forms.Form):
    name = forms.CharField(label="Name", max_length=150)
    deadline = forms.DateTimeField(
        label="Deadline", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    stage_1 = forms.ChoiceField(label="First reviewers", choices=ReviewerSource.choices)
    stage_2 = forms.ChoiceField(
        label="Then (optional)", choices=[("", "Nobody"), *ReviewerSource.choices], required=False
    )
    stage_3 = forms.ChoiceField(
        label="Then (optional)", choices=[("", "Nobody"), *ReviewerSource.choices], required=False
    )
    scope_privileged = forms.BooleanField(label="Privileged entitlements only", required=False)
    scope_department = forms.CharField(label="Department", required=False, max_length=100)
    no_answer = forms.ChoiceField(label="When nobody decides", choices=NoAnswer.choices)

    def stages(self) -> list[str]:
        data = self.cleaned_data
        return [s for s in (data["stage_1"], data.get("stage_2"), data.get("stage_3")) if s]
