"""Forms of problem management; services write."""

from django import forms

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.forms import VersionedForm
from opsdesk.core.models import Team
from opsdesk.core.pickers import PersonField
from opsdesk.incidents.models import Category
from opsdesk.problems.models import FactorCategory, Problem


class ProblemCreateForm(forms.Form):
    short_description = forms.CharField(label="Title", max_length=200)
    description = forms.CharField(
        label="What we see", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    impact = forms.TypedChoiceField(
        coerce=int, choices=Problem._meta.get_field("impact").choices, initial=2
    )
    urgency = forms.TypedChoiceField(
        coerce=int, choices=Problem._meta.get_field("urgency").choices, initial=2
    )
    category = forms.ModelChoiceField(queryset=Category.objects.filter(active=True), required=False)
    assignment_group = forms.ModelChoiceField(
        label="Group", queryset=Team.objects.order_by("name"), required=False
    )
    problem_manager = PersonField(scope="agents", label="Problem manager", required=False)
    services = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.filter(
            ci_class__key__in=["business_service", "technical_service"]
        ).order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    incidents = forms.CharField(
        label="Incidents",
        required=False,
        help_text="Incident numbers it explains, separated by spaces or commas.",
    )


def numbers_in(text: str) -> list[str]:
    return [n.strip().upper() for n in (text or "").replace(",", " ").split() if n.strip()]


class AnalysisForm(VersionedForm):
    whys_text = forms.CharField(
        label="Five whys",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One why per line, from the symptom down to the cause.",
    )
    factors_text = forms.CharField(
        label="Contributing factors",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line as “category: what”, e.g. “process: no capacity review”. "
        f"Categories: {', '.join(c.label.lower() for c in FactorCategory)}.",
    )

    class Meta:
        model = Problem
        fields = ["failure_timeline", "root_cause", "vendor_reference"]
        widgets = {
            "failure_timeline": forms.Textarea(attrs={"rows": 4}),
            "root_cause": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["whys_text"].initial = "\n".join(self.instance.whys or [])
        self.fields["factors_text"].initial = "\n".join(
            f"{FactorCategory(f['category']).label.lower()}: {f['text']}"
            for f in self.instance.contributing_factors or []
            if f.get("category") in FactorCategory.values
        )

    def clean_factors_text(self):
        labels = {c.label.lower(): c.value for c in FactorCategory}
        factors = []
        for n, line in enumerate((self.cleaned_data.get("factors_text") or "").splitlines(), 1):
            if not line.strip():
                continue
            category, _, text = line.partition(":")
            value = labels.get(category.strip().lower())
            if value is None or not text.strip():
                raise forms.ValidationError(
                    f"Line {n}: start with a category ({', '.join(labels)}) and a colon."
                )
            factors.append({"category": value, "text": text.strip()})
        return factors

    def values(self) -> dict:
        data = super().values()
        data["whys"] = [w for w in (data.pop("whys_text") or "").splitlines() if w.strip()]
        data["contributing_factors"] = data.pop("factors_text")
        return data


class KnownErrorForm(VersionedForm):
    class Meta:
        model = Problem
        fields = ["symptoms", "workaround", "workaround_public", "permanent_fix", "review_on"]
        widgets = {
            "symptoms": forms.Textarea(attrs={"rows": 3}),
            "workaround": forms.Textarea(attrs={"rows": 3}),
            "permanent_fix": forms.Textarea(attrs={"rows": 2}),
            "review_on": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {
            "workaround_public": "Requesters may apply the workaround themselves",
            "review_on": "Review on",
        }


class LinkForm(forms.Form):
    incidents = forms.CharField(
        label="Incident numbers", help_text="Separated by spaces or commas, e.g. INC0001234."
    )
    reason = forms.CharField(label="Why", max_length=500, required=False)


class MoveForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    review_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # On resolve: the linked open incidents are resolved too, with this message to callers.
    resolve_incidents = forms.BooleanField(required=False)
    message = forms.CharField(
        label="Message to their callers",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
