"""POST /api/servicedesk/inbound/email: a mail gateway hands over one raw RFC 822 message.

Authenticated by the mailbox's own token (``Authorization: Bearer <token>``), not a user's:
the gateway acts for a mailbox. Answers 202 with what happened; unreadable mail is kept as
unprocessed and still answers 202, so the gateway does not bounce or retry it.
"""

import hmac

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opsdesk.core.context import action_context
from opsdesk.core.middleware import reads_raw_body
from opsdesk.servicedesk.inbound.services import mail_ingest
from opsdesk.servicedesk.models import Mailbox


def _error(status: int, code: str, message: str, fields=None) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


def _mailbox_for(request) -> Mailbox | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    token = token.strip()
    for mailbox in Mailbox.objects.filter(active=True):
        if hmac.compare_digest(mailbox.inbound_token.encode(), token.encode()):
            return mailbox
    return None


@reads_raw_body
@csrf_exempt
@require_POST
def inbound_email(request):
    mailbox = _mailbox_for(request)
    if mailbox is None:
        return _error(401, "not_authenticated", "A valid mailbox token is required.")
    raw = request.body
    if not raw.strip():
        return _error(400, "invalid", "The body must be one RFC 822 message.", {"body": ["Empty."]})
    with action_context(source="mail", request=request):
        result = mail_ingest(raw=raw, mailbox=mailbox)
    body = {"outcome": result.outcome, "reason": result.reason}
    if result.incident is not None:
        body.update(incident_id=result.incident.pk, number=result.incident.number)
    if result.unprocessed is not None:
        body["unprocessed_id"] = result.unprocessed.pk
    return JsonResponse(body, status=202)
