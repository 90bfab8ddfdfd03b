"""Agent pages of the service desk: write and publish knowledge, keep canned responses,
insert one into a reply, and look after mail that could not be processed."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.core.attachments import attachments_for
from opsdesk.core.errors import DomainError
from opsdesk.core.roles import is_admin
from opsdesk.core.timeline import render_markdown
from opsdesk.core.views.generic import agent_required, form_page, save_form
from opsdesk.incidents.selectors import incident_list
from opsdesk.servicedesk import canned, knowledge
from opsdesk.servicedesk.forms import ArticleAttachForm, ArticleForm, CannedForm
from opsdesk.servicedesk.inbound.services import unprocessed_dismiss, unprocessed_retry
from opsdesk.servicedesk.models import KnowledgeArticle, UnprocessedMail, UnprocessedStatus
from opsdesk.servicedesk.workflow import ARTICLE_WORKFLOW


@agent_required
def kb_manage(request):
    query = request.GET.get("q", "").strip()
    if query:
        articles = knowledge.article_search(viewer=request.user, text=query, published_only=False)
    else:
        articles = knowledge.article_list(viewer=request.user).order_by("-updated_at")
    page_obj = Paginator(articles, 25).get_page(request.GET.get("page"))
    return render(request, "servicedesk/agent/kb_list.html", {"page_obj": page_obj, "q": query})


@agent_required
def kb_edit(request, pk=None):
    article = get_object_or_404(KnowledgeArticle, pk=pk) if pk else None
    initial = {"version": article.version} if article else {}
    form = ArticleForm(request.POST or None, instance=article, initial=initial)
    if request.method == "POST" and form.is_valid():
        if article is None:
            write = lambda: knowledge.article_create(actor=request.user, **form.values())  # noqa: E731
        else:
            write = lambda: knowledge.article_update(  # noqa: E731
                actor=request.user,
                article=article,
                expected_version=form.cleaned_data.get("version"),
                **form.values(),
            )
        saved = save_form(form, write)
        if saved is not None:
            messages.success(request, f"{saved.number} is saved.")
            return redirect("servicedesk:kb-detail", pk=saved.pk)
    if article is None:
        return form_page(
            request,
            form,
            title="New knowledge article",
            page_title="New article",
            cancel_url=reverse("servicedesk:kb-manage"),
        )
    return form_page(
        request,
        form,
        title=f"Edit {article.number}",
        cancel_url=reverse("servicedesk:kb-detail", args=[article.pk]),
    )


@agent_required
def kb_detail(request, pk, attach_form=None):
    article = get_object_or_404(knowledge.article_list(viewer=request.user), pk=pk)
    context = {
        "article": article,
        "body": render_markdown(article.body),
        "revisions": article.revisions.select_related("edited_by")[:20],
        "deflections": article.deflections.count(),
        "actions": ARTICLE_WORKFLOW.allowed(article.state),
        "attachments": attachments_for(record=article),
        "attach_form": attach_form or ArticleAttachForm(),
        "links": article.incident_links.select_related("incident")[:20],
    }
    return render(request, "servicedesk/agent/kb_detail.html", context)


@agent_required
@require_POST
def kb_state(request, pk, action):
    article = get_object_or_404(KnowledgeArticle, pk=pk)
    try:
        move = ARTICLE_WORKFLOW.transition(action)
    except DomainError:
        raise Http404 from None
    try:
        knowledge.article_transition(actor=request.user, article=article, action=action)
        messages.success(request, f"{article.number}: {move.label or action}, done.")
    except DomainError as refusal:
        messages.error(request, refusal.message)
    return redirect("servicedesk:kb-detail", pk=pk)


@agent_required
@require_POST
def kb_attach(request, pk):
    article = get_object_or_404(KnowledgeArticle, pk=pk)
    form = ArticleAttachForm(request.POST, request.FILES)
    if form.is_valid():
        stored = save_form(
            form,
            lambda: knowledge.article_attach(
                actor=request.user, article=article, upload=form.cleaned_data["file"]
            ),
        )
        if stored is not None:
            messages.success(request, f"{stored.original_name} is attached.")
            return redirect("servicedesk:kb-detail", pk=pk)
    response = kb_detail(request, pk, attach_form=form)
    response.status_code = 400
    return response


@agent_required
def canned_list(request):
    responses = canned.canned_list(viewer=request.user)
    return render(request, "servicedesk/agent/canned_list.html", {"responses": responses})


@agent_required
def canned_edit(request, pk=None):
    response = get_object_or_404(canned.canned_list(viewer=request.user), pk=pk) if pk else None
    form = CannedForm(
        request.POST or None,
        instance=response,
        initial={"version": getattr(response, "version", None)},
    )
    if not is_admin(request.user):
        form.fields["team"].queryset = request.user.teams.all()
        form.fields["team"].required = True
    if request.method == "POST" and form.is_valid():
        if response is None:
            write = lambda: canned.canned_create(actor=request.user, **form.values())  # noqa: E731
        else:
            write = lambda: canned.canned_update(  # noqa: E731
                actor=request.user,
                response=response,
                expected_version=form.cleaned_data.get("version"),
                **form.values(),
            )
        if save_form(form, write) is not None:
            messages.success(request, "The canned response is saved.")
            return redirect("servicedesk:canned-list")
    return form_page(
        request,
        form,
        title=f"Edit {response}" if response else "New canned response",
        cancel_url=reverse("servicedesk:canned-list"),
    )


@agent_required
def canned_picker(request, incident_pk):
    """htmx: the responses for this incident, or one rendered into the reply box."""
    incident = incident_list(viewer=request.user).filter(pk=incident_pk).first()
    if incident is None:
        raise Http404
    responses = canned.canned_list(viewer=request.user).filter(active=True)
    chosen = request.GET.get("response")
    if chosen:
        response = get_object_or_404(responses, pk=chosen)
        text = canned.canned_render(response=response, incident=incident, agent=request.user)
        return render(
            request, "servicedesk/_canned_body.html", {"text": text, "incident": incident}
        )
    return render(
        request, "servicedesk/_canned_options.html", {"responses": responses, "incident": incident}
    )


@agent_required
def unprocessed(request):
    status = request.GET.get("status", UnprocessedStatus.NEW)
    items = UnprocessedMail.objects.select_related("mailbox").defer("raw")
    if status in UnprocessedStatus.values:
        items = items.filter(status=status)
    page_obj = Paginator(items, 25).get_page(request.GET.get("page"))
    context = {"page_obj": page_obj, "status": status, "statuses": UnprocessedStatus.choices}
    return render(request, "servicedesk/agent/unprocessed.html", context)


@agent_required
@require_POST
def unprocessed_action(request, pk, action):
    if not is_admin(request.user):
        raise PermissionDenied
    item = get_object_or_404(UnprocessedMail, pk=pk)
    if action == "retry":
        result = unprocessed_retry(item=item)
        messages.info(request, f"Processed again: {result.outcome}. {result.reason}".strip())
    elif action == "dismiss":
        unprocessed_dismiss(actor=request.user, item=item)
        messages.info(request, "Dismissed.")
    else:
        raise Http404
    return redirect("servicedesk:unprocessed")
