"""The survey page: reached from the mailed link, no sign-in needed, answered once."""

from django.shortcuts import render

from opsdesk.core.errors import DomainError
from opsdesk.core.views.generic import apply_domain_error
from opsdesk.servicedesk.forms import SurveyForm
from opsdesk.servicedesk.surveys import survey_answer, survey_from_token


def survey(request, token):
    try:
        current = survey_from_token(token)
    except DomainError as refusal:
        return render(
            request,
            "servicedesk/survey.html",
            {"refusal": refusal.message},
            status=410 if refusal.code == "expired" else 404,
        )
    if current.answered:
        return render(request, "servicedesk/survey.html", {"survey": current, "done": True})
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            current = survey_answer(survey=current, **form.cleaned_data)
            return render(request, "servicedesk/survey.html", {"survey": current, "done": True})
        except DomainError as refusal:
            apply_domain_error(form, refusal)
    status = 400 if form.errors else 200
    return render(
        request, "servicedesk/survey.html", {"survey": current, "form": form}, status=status
    )
