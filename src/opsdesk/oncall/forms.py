from django import forms

from opsdesk.core.pickers import PersonField


class OverrideForm(forms.Form):
    """Times are entered in the viewer's own time zone."""

    user = PersonField(
        scope="agents", label="Who covers", help_text="An agent: type a name, e-mail or username."
    )
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The override must end after it starts.")
        return data
