"""Web pages of core for everyone signed in: the start page, the profile, the password."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme

from opsdesk.core import selectors, services
from opsdesk.core.errors import DomainError
from opsdesk.core.forms import AvailabilityForm, ProfileForm
from opsdesk.core.models import Team, User
from opsdesk.core.roles import is_admin, is_agent
from opsdesk.core.views.generic import save_form


@login_required
def home(request):
    """Agents see their teams and the size of the desk; requesters what they can do."""
    user = request.user
    if not is_agent(user):
        # Requesters meet IT through the self-service portal.
        return redirect(reverse("servicedesk:home"))
    context = {"tokens_active": selectors.token_list(viewer=user).filter(user=user).count()}
    if is_agent(user):
        context.update(
            # Counted over the whole team, not over the join that finds the user's teams
            # (which would count the user alone): the same members the team page lists.
            my_teams=Team.objects.filter(pk__in=user.teams.values("pk"))
            .select_related("lead")
            .annotate(member_count=Count("members")),
            people_count=selectors.user_list(viewer=user).filter(is_active=True).count(),
            team_count=selectors.team_list(viewer=user).count(),
            is_admin=is_admin(user),
        )
    return render(request, "core/home.html", context)


@login_required
def profile(request):
    # The real row, not the request's lazy wrapper: the service reads its model class.
    user = User.objects.get(pk=request.user.pk)
    if request.method == "POST" and request.POST.get("form") == "availability":
        return _set_availability(request, user)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        saved = save_form(
            form,
            lambda: services.profile_update(
                actor=user,
                user=user,
                expected_version=form.cleaned_data.get("version"),
                **form.values(),
            ),
        )
        if saved is not None:
            messages.success(request, "Your profile is saved.")
            return redirect("core:profile")
    return render(request, "core/profile.html", {"form": form})


def _set_availability(request, user):
    """The availability switch of the profile page and the user menu; back where it was used."""
    form = AvailabilityForm(request.POST)
    target = reverse("core:profile")
    if not form.is_valid():
        messages.error(request, "Choose available or away.")
        return redirect(target)
    wanted = form.cleaned_data["next"]
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = wanted
    try:
        saved = services.user_set_available(
            actor=user, user=user, available=form.cleaned_data["available"]
        )
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(target)
    if saved.available:
        messages.success(request, "You are available: new incidents may be assigned to you.")
    else:
        messages.success(request, "You are away: automatic assignment passes you by.")
    return redirect(target)


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    template_name = "core/password_change.html"
    success_url = reverse_lazy("core:profile")
    success_message = "Your password is changed."

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["old_password"].widget.attrs["autofocus"] = True
        return form
