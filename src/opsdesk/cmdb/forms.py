"""Forms of the CMDB pages. They shape input; the services validate and write."""

import re

from django import forms
from django.db.models.functions import Lower

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
from opsdesk.core.pickers import PersonField


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


def _names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[;\n]", text or "") if n.strip()]


class CIForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    service_owner = PersonField(required=False, label="Service owner")
    consumer_departments = forms.CharField(
        label="Used by departments",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Business and technical services only. One department per line, named as "
        "on user profiles (any case); their people hear when the service is disrupted.",
    )
    subscribers = forms.CharField(
        label="Subscribers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Business and technical services only. Usernames of people who follow the "
        "service, separated by spaces, commas or new lines.",
    )

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
        self.fields["attributes"].widget.attrs["rows"] = 6
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.initial["consumer_departments"] = "\n".join(
                self.instance.consumer_departments or []
            )
            self.initial["subscribers"] = "\n".join(
                # People who have left are dropped on the next save; they hear nothing anyway.
                self.instance.subscribers.filter(is_active=True)
                .order_by(Lower("username"))
                .values_list("username", flat=True)
            )
        else:
            del self.fields["version"]

    def clean_consumer_departments(self) -> list[str]:
        return _names(self.cleaned_data["consumer_departments"])

    def clean_subscribers(self) -> list[User]:
        wanted = [n for n in re.split(r"[\s,;]+", self.cleaned_data["subscribers"] or "") if n]
        keys = {n.lower() for n in wanted}
        found = {
            u.username.lower(): u
            for u in User.objects.alias(key=Lower("username")).filter(key__in=keys)
        }
        unknown = sorted({n for n in wanted if n.lower() not in found})
        if unknown:
            shown = ", ".join(unknown[:5]) + (
                f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            )
            raise forms.ValidationError(f"No user called {shown}.")
        inactive = sorted(u.username for u in found.values() if not u.is_active)
        if inactive:
            raise forms.ValidationError(f"{', '.join(inactive[:5])}: no longer active.")
        return list(found.values())

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
