"""Forms of the portal and the agent pages. The report form asks plain questions; the
answers map to impact and urgency so a requester never sees ITIL vocabulary."""

from django import forms

from opsdesk.incidents import answers
from opsdesk.servicedesk import knowledge
from opsdesk.servicedesk.models import ArticleState, CannedResponse, KnowledgeArticle


class ReportForm(forms.Form):
    short_description = forms.CharField(
        label="What is wrong?",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    description = forms.CharField(
        label="Tell us more (what you tried, error messages)",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    who = forms.ChoiceField(
        label="Who is affected?",
        choices=answers.WHO_AFFECTED,
        initial="me",
        widget=forms.RadioSelect,
    )
    work = forms.ChoiceField(
        label="Can you keep working?",
        choices=answers.CAN_KEEP_WORKING,
        initial="yes",
        widget=forms.RadioSelect,
    )
    attachment = forms.FileField(label="Screenshot or file (optional)", required=False)

    def incident_values(self) -> dict:
        data = self.cleaned_data
        return {
            "short_description": data["short_description"],
            "description": data["description"],
            "impact": answers.impact_for(data["who"]),
            "urgency": answers.urgency_for(data["work"]),
        }


class PortalCommentForm(forms.Form):
    body = forms.CharField(
        label="Add a comment",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachment = forms.FileField(label="Attach a file", required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachment"):
            raise forms.ValidationError("Write a comment or attach a file.")
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="What is still wrong?", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How satisfied are you with how this was handled?",
        choices=[
            (5, "5 - Very satisfied"),
            (4, "4"),
            (3, "3"),
            (2, "2"),
            (1, "1 - Very dissatisfied"),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything to add? (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArticleForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = KnowledgeArticle
        fields = ["title", "body", "audience", "category", "service", "keywords"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}


class ArticleAttachForm(forms.Form):
    file = forms.FileField(label="Attach a file")


class ArticleLinkForm(forms.Form):
    article = forms.CharField(label="Article number", max_length=20)


class ResolveArticleForm(forms.Form):
    """What the incident page's resolve form adds: the published article that solved it."""

    # Rendered by servicedesk/_resolve_form.html, which also offers the matching articles.
    article = forms.CharField(label="Knowledge article", required=False, max_length=20)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean_article(self) -> KnowledgeArticle | None:
        number = self.cleaned_data["article"].strip().upper()
        if not number:
            return None
        article = (
            knowledge.article_list(viewer=self.viewer)
            .filter(number=number, state=ArticleState.PUBLISHED)
            .first()
        )
        if article is None:
            raise forms.ValidationError(f"There is no published article {number}.")
        return article


class CannedForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CannedResponse
        fields = ["title", "body", "team", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}
