from django import forms

from opsdesk.core.models import User
from opsdesk.core.roles import AGENT_ROLES


class OverrideForm(forms.Form):
    """Times are entered in the viewer's own time zone."""

    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Who covers")
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(is_active=True, groups__name__in=[str(r) for r in AGENT_ROLES])
            .distinct()
            .order_by("display_name", "username")
        )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The override must end after it starts.")
        return data
