"""Forms of the notifications pages."""

from django import forms

from opsdesk.notifications.models import WebhookSubscription


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    secret = forms.CharField(
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to generate one (new) or keep the current one (edit).",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "topics", "active"]
