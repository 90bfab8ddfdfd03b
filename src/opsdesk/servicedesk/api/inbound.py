"""POST /api/servicedesk/inbound/email: a mail gateway hands over one raw RFC 822 message.

Authenticated by the mailbox's own token (``Authorization: Bearer <token>``), not a user's:
the gateway acts for a mailbox. Answers 202 with what happened; unreadable mail is kept as
unprocessed and still answers 202, so the gateway does not bounce or retry it.
"""

import hmac

from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import parsers, permissions, serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    parser_classes,
    permission_classes,
)

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


class _RawMessageParser(parsers.BaseParser):
    """Leaves the body alone: the view reads the raw bytes itself."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


_ERROR = inline_serializer(
    "InboundEmailError",
    {
        "error": inline_serializer(
            "InboundEmailErrorDetail",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(child=serializers.ListField()),
            },
        )
    },
)


@reads_raw_body
@extend_schema(
    operation_id="servicedesk_inbound_email",
    summary="Hand over one inbound mail",
    request={"message/rfc822": OpenApiTypes.BINARY},
    responses={
        202: inline_serializer(
            "InboundEmailResult",
            {
                "outcome": serializers.ChoiceField(
                    choices=[
                        "created",
                        "commented",
                        "approval",
                        "duplicate",
                        "ignored",
                        "unprocessed",
                    ]
                ),
                "reason": serializers.CharField(allow_blank=True),
                "incident_id": serializers.IntegerField(required=False),
                "number": serializers.CharField(required=False),
                "unprocessed_id": serializers.IntegerField(required=False),
            },
        ),
        400: OpenApiResponse(_ERROR, description="The body is empty."),
        401: OpenApiResponse(_ERROR, description="No valid mailbox token."),
    },
    description="Authenticated by the mailbox's inbound token as `Authorization: Bearer "
    "<token>`, not by a user's API token.",
    auth=[],
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([permissions.AllowAny])
@parser_classes([_RawMessageParser])
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
