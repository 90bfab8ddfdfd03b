"""Forms of the core pages: filters, people, teams, profile and API tokens.

Forms only validate and shape input; the views hand ``cleaned_data`` to the services, which do
the writing. Edit forms carry the record's ``version`` so a stale edit is refused, not saved.
"""

from django import forms
from django.contrib.auth import password_validation
from django.db.models import Q

from opsdesk.core.models import Team, TeamType, User
from opsdesk.core.pickers import PersonField, TeamField
from opsdesk.core.roles import Role
from opsdesk.core.search import MAX_QUERY_LENGTH

ROLE_CHOICES = [(str(role), str(role).capitalize()) for role in Role]


class VersionedForm(forms.ModelForm):
    """A model form that remembers which version of the record the user started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Required: an edit that does not say which version it started from is refused.
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]
        first = next(iter(self.visible_fields()), None)
        if first is not None:
            # Keyboard users land in the form, ready to type.
            first.field.widget.attrs.setdefault("autofocus", True)

    def values(self) -> dict:
        """The cleaned values the service takes (the version travels separately)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    def _post_clean(self):
        # The service validates the record itself; keep the user's instance untouched here
        # so a refused edit never leaks half-applied values into the page.
        pass


# --- filters ---------------------------------------------------------------------------------
class UserFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    role = forms.ChoiceField(required=False, choices=[("", "Any role"), *ROLE_CHOICES])
    team = forms.ModelChoiceField(
        required=False, queryset=Team.objects.all(), empty_label="Any team"
    )
    department = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = (
            User.objects.exclude(department="")
            .order_by("department")
            .values_list("department", flat=True)
            .distinct()
        )
        self.fields["department"].choices = [("", "Any department")] + [(d, d) for d in departments]

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["q"]:
            q = data["q"]
            queryset = queryset.filter(
                Q(username__icontains=q)
                | Q(display_name__icontains=q)
                | Q(email__icontains=q)
                | Q(first_name__icontains=q)
                | Q(last_name__icontains=q)
            )
        if data["role"]:
            queryset = queryset.filter(groups__name=data["role"])
        if data["team"]:
            queryset = queryset.filter(teams=data["team"])
        if data["department"]:
            queryset = queryset.filter(department=data["department"])
        return queryset.distinct()


class TeamFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    type = forms.ChoiceField(required=False, choices=[("", "Any type"), *TeamType.choices])

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["q"]:
            q = data["q"]
            queryset = queryset.filter(
                Q(name__icontains=q) | Q(description__icontains=q) | Q(email__icontains=q)
            )
        if data["type"]:
            queryset = queryset.filter(type=data["type"])
        return queryset


# --- people ----------------------------------------------------------------------------------
class UserForm(VersionedForm):
    manager = PersonField(required=False, label="Manager")
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label="Initial password",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty for an account that signs in only after a password reset.",
    )

    class Meta:
        model = User
        fields = [
            "username",
            "display_name",
            "first_name",
            "last_name",
            "email",
            "manager",
            "department",
            "location",
            "phone",
            "time_zone",
            "is_vip",
            "is_active",
            "available",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = list(self.instance.groups.values_list("name", flat=True))
            # Passwords are changed by their owner; administrators use the admin to reset.
            del self.fields["password"]

    def clean_manager(self):
        manager = self.cleaned_data.get("manager")
        if manager is not None and manager.pk == self.instance.pk:
            raise forms.ValidationError("Someone cannot be their own manager.")
        return manager

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            password_validation.validate_password(password)
        return password

    def clean_username(self):
        username = self.cleaned_data["username"]
        taken = User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("Someone already has this username.")
        return username


class ProfileForm(VersionedForm):
    """What people may change about themselves."""

    class Meta:
        model = User
        fields = ["display_name", "phone", "time_zone"]
        help_texts = {"time_zone": "Times in opsdesk are shown in this zone."}


class AvailabilityForm(forms.Form):
    """The agent's availability switch, posted from the profile page or the user menu."""

    available = forms.TypedChoiceField(
        choices=[("1", "Available"), ("0", "Away")], coerce=lambda value: value == "1"
    )
    next = forms.CharField(required=False, max_length=2000)


# --- teams -----------------------------------------------------------------------------------
class TeamForm(VersionedForm):
    lead = PersonField(required=False, label="Lead")

    class Meta:
        model = Team
        fields = ["name", "type", "email", "lead", "members", "escalation_team", "description"]
        widgets = {"members": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.filter(is_active=True)
        if self.instance.pk:
            self.fields["escalation_team"].queryset = Team.objects.exclude(pk=self.instance.pk)

    def clean_name(self):
        name = self.cleaned_data["name"]
        if Team.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("A team with this name already exists.")
        return name


# --- API tokens ------------------------------------------------------------------------------
class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True}),
        help_text="What uses it, e.g. “monitoring webhook”.",
    )
    read_only = forms.BooleanField(required=False, help_text="It may read but never change.")
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Empty: it never expires.",
    )


class SearchForm(forms.Form):
    """The top bar's search box: words to find, or a record number to jump to."""

    q = forms.CharField(
        label="Search",
        max_length=MAX_QUERY_LENGTH,
        strip=True,
        error_messages={
            "required": "Type some words or a record number to search for.",
            "max_length": f"Search for at most {MAX_QUERY_LENGTH} characters.",
        },
    )


class TaskForm(forms.Form):
    short_description = forms.CharField(label="What needs doing", max_length=200)
    description = forms.CharField(label="Details", widget=forms.Textarea, required=False)
    assignment_group = TeamField(label="Group", required=False)
    assignee = PersonField(label="Assignee", scope="agents", required=False)


class TaskAssignForm(forms.Form):
    assignment_group = TeamField(label="Group")
    assignee = PersonField(label="Assignee", scope="agents", required=False)


class TicketQueueFilterForm(forms.Form):
    """The filters of any record type's queue, from its registry entry and model: choices
    show labels, never stored values."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    state = forms.ChoiceField(label="State", required=False)
    priority = forms.TypedChoiceField(
        label="Priority", required=False, coerce=int, empty_value=None
    )
    assignment_group = forms.ModelChoiceField(
        label="Group", required=False, queryset=Team.objects.all(), empty_label="Any group"
    )
    assignee = PersonField(label="Assignee", scope="agents", required=False)
    sort = forms.ChoiceField(label="Sort", required=False)

    def __init__(self, *args, kind, sorts: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", "Any state"), *kind.workflow.states.items()]
        priority = kind.model._meta.get_field("priority")
        self.fields["priority"].choices = [("", "Any priority"), *priority.choices]
        self.fields["sort"].choices = [(key, label) for key, (_, label) in sorts.items()]

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            queryset = queryset.filter(Q(number__iexact=q) | Q(short_description__icontains=q))
        if data["priority"]:
            queryset = queryset.filter(priority=data["priority"])
        if data["assignment_group"]:
            queryset = queryset.filter(assignment_group=data["assignment_group"])
        if data["assignee"]:
            queryset = queryset.filter(assignee=data["assignee"])
        return queryset


class TicketBulkForm(forms.Form):
    """Assign and/or move the ticked tickets of one record type."""

    records = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    assignment_group = TeamField(label="Group", required=False, help_text="Empty: keep it.")
    assignee = PersonField(
        label="Assignee", scope="agents", required=False, help_text="Empty: keep it."
    )
    action = forms.ChoiceField(label="Action", required=False)
    reason = forms.CharField(label="Reason", required=False, max_length=500)

    def __init__(self, *args, kind, ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["records"].choices = [(i, i) for i in ids]
        self.fields["action"].choices = [
            ("", "Keep state"),
            *((t.name, t.label or t.name.capitalize()) for t in kind.workflow.transitions),
        ]

    def clean(self):
        data = super().clean()
        if not (data.get("assignment_group") or data.get("assignee") or data.get("action")):
            raise forms.ValidationError("Pick a group, an assignee or an action.")
        return data
