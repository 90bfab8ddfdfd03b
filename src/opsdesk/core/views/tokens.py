"""API tokens of the signed-in user: list, create (the secret is shown once), revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from opsdesk.core import selectors, services
from opsdesk.core.forms import TokenForm
from opsdesk.core.roles import is_admin
from opsdesk.core.views.generic import list_page, save_form


class _NoFilter:
    """Tokens are few per person; the list needs no filter, only "all" for administrators."""

    is_bound = False

    def __init__(self, show_all: bool, viewer):
        self.show_all = show_all
        self.viewer = viewer

    def filter(self, queryset):
        return queryset if self.show_all else queryset.filter(user=self.viewer)


@never_cache
@login_required
def token_list(request):
    """GET lists; POST creates and shows the new secret on this one response only."""
    admin = is_admin(request.user)
    show_all = admin and request.GET.get("all") == "1"
    form = TokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        result = save_form(
            form,
            lambda: services.token_create(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                read_only=form.cleaned_data["read_only"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            ),
        )
        if result is not None:
            created, secret = result
            form = TokenForm()
    return list_page(
        request,
        queryset=selectors.token_list(viewer=request.user),
        filter_form=_NoFilter(show_all, request.user),
        template="core/tokens/list.html",
        rows_template="core/tokens/_rows.html",
        extra={
            "form": form,
            "created": created,
            "secret": secret,
            "is_admin": admin,
            "show_all": show_all,
        },
    )


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(selectors.token_list(viewer=request.user), pk=pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” is revoked; it no longer works.")
    return redirect("core:token-list")
