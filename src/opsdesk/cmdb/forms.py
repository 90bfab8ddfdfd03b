"""Forms of the CMDB pages. They shape input; the services validate and write."""

from django import forms

from opsdesk.cmdb.models import (
    SUPPORTING_TEAM_TYPES,
    CIClass,
    CIStatus,
    ConfigurationItem,
    Criticality,
    Environment,
    RelationshipType,
)
from opsdesk.core.models import Team, User


class CIFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    ci_class = forms.ModelChoiceField(
        label="Class",
        required=False,
        queryset=CIClass.objects.all(),
        to_field_name="key",
        empty_label="Any class",
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *CIStatus.choices])
    environment = forms.ChoiceField(
        required=False, choices=[("", "Any environment"), *Environment.choices]
    )
    criticality = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any criticality"), *Criticality.choices],
    )
    team = forms.ModelChoiceField(
        required=False,
        queryset=Team.objects.filter(type__in=SUPPORTING_TEAM_TYPES),
        empty_label="Any team",
    )

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["q"]:
            queryset = queryset.filter(name__icontains=data["q"])
        if data["ci_class"]:
            queryset = queryset.filter(ci_class=data["ci_class"])
        for name in ("status", "environment", "criticality"):
            if data[name] not in ("", None):
                queryset = queryset.filter(**{name: data[name]})
        if data["team"]:
            queryset = queryset.filter(supporting_team=data["team"])
        return queryset


class CIForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ConfigurationItem
        fields = [
            "name",
            "ci_class",
            "status",
            "environment",
            "criticality",
            "supporting_team",
            "service_owner",
            "vendor",
            "location",
            "description",
            "attributes",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"attributes": "A JSON object; its keys depend on the class."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supporting_team"].queryset = Team.objects.filter(
            type__in=SUPPORTING_TEAM_TYPES
        )
        self.fields["service_owner"].queryset = User.objects.filter(is_active=True)
        self.fields["attributes"].widget.attrs["rows"] = 6
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    def _post_clean(self):
        # The service validates the record; a refused edit must not touch the instance.
        pass


class RelationshipForm(forms.Form):
    DIRECTIONS = [("out", "This CI … the other CI"), ("in", "The other CI … this CI")]

    direction = forms.ChoiceField(choices=DIRECTIONS, initial="out")
    type = forms.ChoiceField(choices=RelationshipType.choices)
    other_class = forms.ModelChoiceField(
        label="Other CI's class", queryset=CIClass.objects.all(), to_field_name="key"
    )
    other_name = forms.CharField(label="Other CI's name", max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("other_class") and data.get("other_name"):
            other = ConfigurationItem.objects.filter(
                ci_class=data["other_class"], name__iexact=data["other_name"].strip()
            ).first()
            if other is None:
                self.add_error("other_name", "There is no CI of that class with this name.")
            data["other"] = other
        return data
