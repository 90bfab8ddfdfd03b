"""Building blocks for record pages in every domain: role gates, filtered lists, form saves.

A domain's views stay a few lines each::

    @agent_required
    def ci_list(request):
        return list_page(request, queryset=selectors.ci_list(viewer=request.user),
                         filter_form=CIFilterForm(request.GET or None),
                         template="cmdb/ci_list.html", rows_template="cmdb/_ci_rows.html")

    @admin_required
    def ci_edit(request, pk):
        ...
        if form.is_valid() and save_form(form, lambda: services.ci_update(...)):
            return redirect(...)
        return form_page(request, form, title=f"Edit {ci}", cancel_url=...)
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from opsdesk.core.errors import DomainError, NotPermitted, StaleVersion
from opsdesk.core.roles import is_admin, is_agent

PAGE_SIZE = 25


def role_required(check: Callable) -> Callable:
    """A view decorator: signed in, and ``check(user)`` holds (else 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


agent_required = role_required(is_agent)
admin_required = role_required(is_admin)


def wants_rows(request) -> bool:
    """An htmx filter request wants only the results, not the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and htmx.target == "results"


def list_page(
    request,
    *,
    queryset,
    filter_form,
    template: str,
    rows_template: str,
    per_page: int = PAGE_SIZE,
    extra: dict | None = None,
):
    """A filtered, paginated list; answers an htmx filter request with the rows only."""
    if filter_form is not None:
        queryset = filter_form.filter(queryset)
    page_obj = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page_obj": page_obj,
        "objects": page_obj.object_list,
        "filtered": bool(filter_form is not None and filter_form.is_bound and request.GET),
        "rows_template": rows_template,
        **(extra or {}),
    }
    return render(request, rows_template if wants_rows(request) else template, context)


def form_page(
    request,
    form,
    *,
    title: str,
    cancel_url: str | None = None,
    submit_label: str = "Save",
    template: str = "core/form.html",
    **extra,
):
    """The create/edit page: ``title`` over the form, Save and Cancel. ``template`` may extend
    core/form.html to add an area's navigation or help; ``extra`` goes into its context
    (``stylesheet``, ``delete_url``, ``page_title`` when the tab's title differs)."""
    context = {
        "form": form,
        "title": title,
        "cancel_url": cancel_url,
        "submit_label": submit_label,
        **extra,
    }
    return render(request, template, context)


def apply_domain_error(form, error: DomainError) -> None:
    """Show a service's refusal on the form: field messages by field, the rest on top."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message)
    if isinstance(error, StaleVersion):
        form.add_error(None, error.message)
        return
    if not error.fields:
        form.add_error(None, error.message)
    for name, messages in error.fields.items():
        field = form.fields.get(name)
        # A message about a field the form does not show goes on top, where it is seen.
        form.add_error(name if field is not None and not field.widget.is_hidden else None, messages)


def save_form(form, write: Callable[[], object]):
    """Run the service call ``write``; on refusal put its messages on the form and return None."""
    try:
        return write()
    except DomainError as error:
        apply_domain_error(form, error)
        return None


def saved_on_post(request, form, write: Callable[[], object]):
    """A valid POST runs the service call ``write`` (see ``save_form``); returns what it saved,
    or None when the form is to be shown, first or again with its errors."""
    if request.method == "POST" and form.is_valid():
        return save_form(form, write)
    return None


def edit_call(request, form, update: Callable, **record) -> Callable[[], object]:
    """The service call of an edit form: ``update`` by the signed-in user, refused if the
    record changed since the form was loaded (its hidden ``version``)."""
    return lambda: update(
        actor=request.user,
        expected_version=form.cleaned_data.get("version"),
        **record,
        **form.values(),
    )
