"""Pages: the agent's notification list (the bell), preferences, webhook subscriptions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError
from opsdesk.core.views.generic import admin_required, agent_required, form_page, save_form
from opsdesk.notifications import selectors, services, webhooks
from opsdesk.notifications.forms import WebhookSubscriptionForm
from opsdesk.notifications.models import MANDATORY_EVENTS, Channel, Event
from opsdesk.notifications.sink import parse

PAGE_SIZE = 25


@agent_required
def inbox(request):
    rows = selectors.notification_list(viewer=request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        rows = rows.filter(read_at__isnull=True)
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {
            "page_obj": page_obj,
            "objects": page_obj.object_list,
            "unread": selectors.notification_unread_count(viewer=request.user),
            "only_unread": only_unread,
        },
    )


@agent_required
@require_POST
def mark_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    services.notifications_mark_read(actor=request.user, ids=ids or None)
    return redirect("notifications:inbox")


@login_required
def preferences(request):
    if request.method == "POST":
        try:
            for event in Event:
                for channel in Channel:
                    wanted = f"{event.value}:{channel.value}" in request.POST
                    if event.value in MANDATORY_EVENTS and not wanted:
                        continue  # pages stay on; the disabled box is never posted
                    services.preference_set(
                        actor=request.user,
                        user=request.user,
                        event=event.value,
                        channel=channel.value,
                        enabled=wanted,
                    )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Your notification preferences are saved.")
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"rows": selectors.preference_matrix(user=request.user), "channels": Channel.choices},
    )


@admin_required
def webhook_list(request):
    page_obj = Paginator(selectors.subscription_list(viewer=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/webhook_list.html",
        {"page_obj": page_obj, "objects": page_obj.object_list},
    )


@admin_required
def webhook_detail(request, pk):
    subscription = get_object_or_404(selectors.subscription_list(viewer=request.user), pk=pk)
    log = selectors.webhook_delivery_list(viewer=request.user).filter(subscription=subscription)
    page_obj = Paginator(log, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/webhook_detail.html",
        {"subscription": subscription, "page_obj": page_obj, "objects": page_obj.object_list},
    )


@admin_required
def webhook_edit(request, pk=None):
    subscription = None
    if pk is not None:
        subscription = get_object_or_404(selectors.subscription_list(viewer=request.user), pk=pk)
    form = WebhookSubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("name", "url", "topics", "secret", "active")}
        if subscription is None:
            write = lambda: webhooks.webhook_subscription_create(actor=request.user, **data)  # noqa: E731
        else:
            write = lambda: webhooks.webhook_subscription_update(  # noqa: E731
                actor=request.user, subscription=subscription, **data
            )
        saved = save_form(form, write)
        if saved is not None:
            messages.success(request, f"Webhook {saved.name} saved.")
            return redirect("notifications:webhook-detail", pk=saved.pk)
    return form_page(
        request,
        form,
        title=f"Edit webhook {subscription}" if subscription else "New webhook",
        cancel_url=reverse("notifications:webhook-list"),
    )


@admin_required
def sent_mail_list(request):
    page_obj = Paginator(selectors.sent_mail_list(viewer=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/sent_mail_list.html",
        {"page_obj": page_obj, "objects": page_obj.object_list},
    )


@admin_required
def sent_mail_detail(request, pk):
    sent = get_object_or_404(selectors.sent_mail_list(viewer=request.user), pk=pk)
    return render(request, "notifications/sent_mail_detail.html", {"sent": sent, **parse(sent)})
