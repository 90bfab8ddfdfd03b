"""The decision form of the inbox and the one-time link page."""

from django import forms

from opsdesk.approvals.models import ApprovalRule, TimeoutAction
from opsdesk.core.pickers import PersonField


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional. When you reject, the requester reads it as the reason.",
    )


class DelegationForm(forms.Form):
    """While you are away: who decides your approvals, from when to when."""

    delegate = PersonField(scope="colleagues", label="Who decides for you")
    starts_on = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Why", required=False, max_length=200)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_on"), cleaned.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", "This is before the first day.")
        return cleaned


class SchemeForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    description = forms.CharField(
        label="What it is for", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    active = forms.BooleanField(label="In use", required=False, initial=True)


class StageForm(forms.Form):
    """One stage: who is asked, how many must agree, what happens when nobody answers."""

    name = forms.CharField(label="Stage", max_length=100)
    condition = forms.CharField(
        label="Only when",
        required=False,
        max_length=500,
        help_text="On the answers, e.g. cost > 1000 or risk == 'privileged'. Empty: always.",
    )
    rule = forms.ChoiceField(label="Decided by", choices=ApprovalRule.choices)
    required_count = forms.IntegerField(label="How many", required=False, min_value=1)
    required_percent = forms.IntegerField(
        label="Share (%)", required=False, min_value=1, max_value=100
    )
    from_manager = forms.BooleanField(label="The manager of the person it is for", required=False)
    from_team = forms.ModelChoiceField(
        label="Members of team", required=False, queryset=None, empty_label="No team"
    )
    from_user = PersonField(scope="people", label="A named person", required=False)
    from_ci_owner = forms.BooleanField(label="The configuration item's owner", required=False)
    from_service_owner = forms.BooleanField(label="The service's owner", required=False)
    from_answer = forms.CharField(
        label="The person named in the answer",
        required=False,
        max_length=100,
        help_text="The key of the answer, e.g. budget_holder or entitlement_owners.",
    )
    fallback_approver = PersonField(scope="people", label="Fallback approver", required=False)
    timeout_hours = forms.IntegerField(label="Timeout (hours)", required=False, min_value=1)
    timeout_action = forms.ChoiceField(
        label="At timeout", choices=TimeoutAction.choices, required=False
    )
    reminder_hours = forms.IntegerField(label="Remind every (hours)", required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        from opsdesk.core.models import Team

        super().__init__(*args, **kwargs)
        self.fields["from_team"].queryset = Team.objects.order_by("name")

    def stage_data(self) -> dict:
        data = dict(self.cleaned_data)
        user = data.pop("from_user", None)
        data.pop("DELETE", None)
        data["from_users"] = [user] if user else []
        data["timeout_action"] = data.get("timeout_action") or ""
        return data


StageFormSet = forms.formset_factory(StageForm, extra=1, can_delete=True, max_num=10)
