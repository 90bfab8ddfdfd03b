"""The acknowledgement link in a page: whoever was paged can take the incident in one click.

The link carries a signed token naming the incident and the person, so it works from a phone
without signing in. Opening it only shows a button: mail scanners that follow links must not
acknowledge on someone's behalf.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from opsdesk.core.errors import DomainError
from opsdesk.core.models import User
from opsdesk.incidents import paging, services
from opsdesk.incidents.models import Incident


@require_http_methods(["GET", "POST"])
def page_acknowledge(request, token: str):
    ids = paging.ack_token_read(token)
    if ids is None:
        raise Http404("This acknowledgement link is not valid or has expired.")
    incident = Incident.objects.filter(pk=ids[0]).first()
    user = User.objects.filter(pk=ids[1], is_active=True).first()
    if incident is None or user is None:
        raise Http404
    if request.method == "POST":
        try:
            incident = services.incident_acknowledge(actor=user, incident=incident)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{incident.number} is acknowledged. Paging has stopped.")
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/page_ack.html", {"incident": incident, "paged_user": user})
