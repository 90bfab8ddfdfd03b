"""The decision form of the inbox and the one-time link page."""

from django import forms

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
