"""The living style guide: every component of the design system, in the light and dark theme.

Administrators open it to check a change to core/opsdesk.css against everything it styles."""

from django import forms
from django.shortcuts import render

from opsdesk.core.pickers import PersonField
from opsdesk.core.views.generic import admin_required

PRIORITIES = [(1, "1 - Critical"), (2, "2 - High"), (3, "3 - Moderate"), (4, "4 - Low")]


class SampleForm(forms.Form):
    """One of each kind of field, so they can be seen side by side."""

    title = forms.CharField(label="Short description", help_text="What is not working?")
    priority = forms.TypedChoiceField(label="Priority", choices=PRIORITIES, required=False)
    due = forms.DateField(
        label="Due date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    caller = PersonField(label="Caller", required=False)
    evidence = forms.FileField(label="Screenshot", required=False)
    details = forms.CharField(label="Details", required=False, widget=forms.Textarea)
    notify = forms.BooleanField(label="Tell the caller", required=False)


@admin_required
def style_guide(request):
    # A bound form with its one required field left empty, so the error style shows too.
    panes = [
        {"theme": theme, "label": label, "form": SampleForm(data={}, prefix=theme)}
        for theme, label in (("light", "Light"), ("dark", "Dark"))
    ]
    return render(
        request,
        "core/styleguide.html",
        {"panes": panes, "priorities": PRIORITIES},
    )
