"""``/metrics``: opsdesk's own gauges for Prometheus, behind a bearer token.

Prometheus sends ``Authorization: Bearer <token>``. Two tokens open it: the scrape token set
in ``OPSDESK_METRICS_TOKEN`` (compared in constant time), or the API token of an active
administrator (``opsdesk token create``), which can be revoked and expires like any other.
Without a scrape token configured, only administrators' API tokens open it.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from opsdesk.core.roles import is_admin
from opsdesk.core.services import token_authenticate
from opsdesk.reporting.prometheus import CONTENT_TYPE, exposition

TEXT = "text/plain; charset=utf-8"
NOT_CONFIGURED = (
    "Metrics are not enabled: set OPSDESK_METRICS_TOKEN and scrape with "
    "'Authorization: Bearer <that token>', or use an administrator's API token.\n"
)
NO_TOKEN = "Send the scrape token as: Authorization: Bearer <OPSDESK_METRICS_TOKEN>\n"
WRONG_TOKEN = "The token is not valid, expired or revoked.\n"
NOT_ADMIN = "Only an administrator's API token may read the metrics.\n"


def _refused(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type=TEXT)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="opsdesk metrics"'
    return response


def _bearer(request) -> str | None:
    parts = request.headers.get("Authorization", "").split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    return None


def refusal(request) -> HttpResponse | None:
    """Why this request may not read the metrics, as the answer to give; None if it may."""
    configured = settings.OPSDESK_METRICS_TOKEN
    given = _bearer(request)
    if given is None:
        return _refused(401, NO_TOKEN) if configured else _refused(403, NOT_CONFIGURED)
    if configured and secrets.compare_digest(given.encode(), configured.encode()):
        return None
    token = token_authenticate(given)
    if token is None:
        return _refused(401, WRONG_TOKEN)
    if not is_admin(token.user):
        return _refused(403, NOT_ADMIN)
    return None


@never_cache
@require_GET
def metrics(request):
    refused = refusal(request)
    if refused is not None:
        return refused
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
