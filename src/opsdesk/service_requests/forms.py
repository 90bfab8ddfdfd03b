"""Forms of request fulfilment: ordering, the requester's replies, the desk's moves and the
catalog manager's pages. They only check and shape input; services write."""

from django import forms

from opsdesk.approvals.models import ApprovalScheme
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.forms import VersionedForm
from opsdesk.core.models import FormSchema, Team
from opsdesk.core.pickers import PersonField, PickerInput
from opsdesk.core.roles import Role
from opsdesk.service_requests.models import CatalogCategory, CatalogItem, PlanStep
from opsdesk.service_requests.services import MAX_QUANTITY


class CatalogSearchForm(forms.Form):
    q = forms.CharField(
        label="What do you need?",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "a laptop, a shared drive, VPN …"}
        ),
    )


class OrderForm(forms.Form):
    """Who it is for and how many; the item's own questions come from its form schema."""

    requested_for = PersonField(
        scope="colleagues",
        label="Who is it for?",
        required=False,
        help_text="Leave empty for yourself, or type a colleague's name and pick them.",
    )
    quantity = forms.IntegerField(label="How many", min_value=1, max_value=MAX_QUANTITY, initial=1)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class InformationForm(forms.Form):
    body = forms.CharField(
        label="Your answer", widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000
    )


class SkipForm(forms.Form):
    reason = forms.CharField(
        label="Why is this step not needed?",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


ROLE_CHOICES = [(str(r), str(r).capitalize()) for r in Role]


def _words(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class CatalogItemForm(VersionedForm):
    audience_departments = forms.CharField(
        label="Only for these departments",
        required=False,
        help_text="Comma-separated, e.g. Finance, Sales. Empty: everyone.",
    )
    audience_roles = forms.MultipleChoiceField(
        label="Only for these roles",
        required=False,
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: everyone.",
    )

    class Meta:
        model = CatalogItem
        fields = [
            "name",
            "slug",
            "category",
            "short_description",
            "description",
            "icon",
            "keywords",
            "owner_team",
            "form",
            "cost",
            "needs_approval",
            "approval_scheme",
            "service",
            "standard",
            "privileged",
            "active",
            "available_from",
            "available_until",
        ]
        widgets = {
            "available_from": forms.DateInput(attrs={"type": "date"}),
            "available_until": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"owner_team": "Owner team", "slug": "Address"}
        help_texts = {
            "slug": "The item's address in the portal, e.g. new-laptop.",
            "standard": "Pre-approved: ordered, it is fulfilled without asking anyone.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = CatalogCategory.objects.order_by("order", "name")
        self.fields["owner_team"].queryset = Team.objects.order_by("name")
        self.fields["form"].queryset = FormSchema.objects.filter(is_field_set=False).order_by(
            "name"
        )
        self.fields["form"].help_text = "The questions it asks; design them under Forms."
        self.fields["approval_scheme"].queryset = ApprovalScheme.objects.filter(active=True)
        self.fields["service"].queryset = ConfigurationItem.objects.filter(
            ci_class__key__in=["business_service", "technical_service"]
        ).order_by("name")
        if self.instance.pk:
            self.initial["audience_departments"] = ", ".join(self.instance.audience_departments)
            self.initial["audience_roles"] = self.instance.audience_roles

    def clean_audience_departments(self):
        return _words(self.cleaned_data.get("audience_departments", ""))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("available_from"), cleaned.get("available_until")
        if start and end and end < start:
            self.add_error("available_until", "This is before the first day.")
        return cleaned


class CategoryForm(VersionedForm):
    class Meta:
        model = CatalogCategory
        fields = ["name", "slug", "description", "icon", "order", "active"]
        labels = {"slug": "Address"}


class PlanStepForm(forms.ModelForm):
    webhook_url = forms.URLField(
        label="Automation address", required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = PlanStep
        fields = [
            "name",
            "team",
            "order",
            "after",
            "instructions",
            "action",
            "target_team",
            "webhook_url",
            "webhook_secret",
            "ola_hours",
        ]
        labels = {
            "after": "Starts after",
            "action": "Who does it",
            "ola_hours": "Team's target (hours)",
        }
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 3}),
            "after": forms.CheckboxSelectMultiple,
            "webhook_secret": forms.PasswordInput(render_value=True),
        }

    def __init__(self, *args, item: CatalogItem, **kwargs):
        super().__init__(*args, **kwargs)
        others = item.steps.all()
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["after"].queryset = others
        self.fields["after"].help_text = "None ticked: it starts when fulfilment does."
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["target_team"].queryset = Team.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "add_to_team" and not cleaned.get("target_team"):
            self.add_error("target_team", "Pick the team the person joins.")
        if action == "webhook" and not cleaned.get("webhook_url"):
            self.add_error("webhook_url", "Give the automation's address.")
        return cleaned

    def _post_clean(self):
        pass  # the service validates and saves


class DeliveryForm(forms.Form):
    """What was handed over: the CI (a laptop) that now belongs to the person it is for."""

    ci = forms.CharField(
        label="Configuration item delivered",
        help_text="Type its name and pick it, e.g. the laptop's asset tag.",
        widget=PickerInput(source=("core:formschema-pick", {"type": "ci"}), noun="items"),
    )

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean_ci(self):
        from opsdesk.core.formschema.references import reference_for

        reference = reference_for("ci")
        if reference is None:
            raise forms.ValidationError("The CMDB is not available.")
        return reference.resolve(self.cleaned_data["ci"], viewer=self.viewer)
