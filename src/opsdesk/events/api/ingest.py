"""Ingest endpoints for monitoring tools: they authenticate with the integration, not a user.

Each endpoint reads the raw body itself (to enforce 512 KB and to key retries on it), reads
the sender's format into normalised events, rate-limits per integration and answers 202.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from opsdesk.events import ingest
from opsdesk.events.api.serializers import GenericEventSerializer
from opsdesk.events.heartbeats import heartbeat_check_in
from opsdesk.events.models import CheckInKind, Format, Heartbeat
from opsdesk.events.normalise import (
    read_alertmanager,
    read_generic,
    read_pagerduty,
    read_prometheus,
)


def error(status: int, code: str, message: str, problems=(), headers=None) -> Response:
    fields = {"body": list(problems)} if problems else {}
    body = {"error": {"code": code, "message": message, "fields": fields}}
    return Response(body, status=status, headers=headers)


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class IngestView(APIView):
    """Base of every ingest endpoint: no user authentication, no CSRF, JSON out."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    reads_raw_body = True  # the body is read whole, as sent, for its size and retry key

    def read(self, body, integration):
        raise NotImplementedError

    def find_integration(self, request, decoded, **kwargs):
        if token := kwargs.get("token"):
            return ingest.integration_by_token(token)
        return ingest.integration_by_secret(ingest.bearer(request))

    # Answers, overridden by the PagerDuty endpoint to speak PagerDuty.
    def refused(self):
        return error(401, "not_authenticated", "Unknown integration or wrong secret.")

    def too_large(self):
        limit = ingest.MAX_INGEST_BYTES
        return error(413, "payload_too_large", f"The body is larger than {limit} bytes.")

    def invalid(self, problems):
        return error(400, "invalid", f"The events were refused: {problems[0]}", problems)

    def not_json(self, content_type):
        return error(
            415,
            "unsupported_media_type",
            f"Send the events as JSON (Content-Type: application/json), not {content_type}.",
        )

    def bad_json(self, exc):
        return self.invalid([f"The body is not valid JSON ({exc})."])

    def limited(self, retry_after: int):
        return error(
            429,
            "rate_limited",
            "Too many events for this integration; try again later.",
            headers={"Retry-After": str(retry_after)},
        )

    def accepted(self, events, count):
        return Response({"accepted": count}, status=202)

    def post(self, request, **kwargs):
        # Size, then syntax, then who sent it: each refusal names its own cause.
        body = request.body
        if len(body) > ingest.MAX_INGEST_BYTES:
            return self.too_large()
        content_type = request.content_type or ""
        if content_type.startswith(FORM_TYPES):
            return self.not_json(content_type)
        try:
            decoded = ingest.json_read(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return self.bad_json(exc)
        integration = self.find_integration(request, decoded, **kwargs)
        if integration is None:
            return self.refused()
        events, problems = self.read(decoded, integration)
        if problems:
            return self.invalid(problems)
        try:
            count = ingest.events_accept(
                integration=integration,
                events=events,
                body=body,
                idempotency_key=request.headers.get("Idempotency-Key", "")[:200],
                limit_rate=True,
                nul_free=True,
            )
        except ingest.RateLimited as limited:
            return self.limited(limited.retry_after)
        return self.accepted(events, count)


ACCEPTED = inline_serializer("EventsAccepted", {"accepted": serializers.IntegerField()})


@extend_schema(
    tags=["events ingest"],
    request=GenericEventSerializer(many=True),
    responses={202: ACCEPTED, 400: OpenApiResponse(description="Every problem found")},
    summary="Send events (one object or an array), generic JSON",
    description=(
        "Authenticate with `Authorization: Bearer <integration secret>`, or post to the "
        "integration's own URL. Retries of the same body within two minutes, or with the same "
        "`Idempotency-Key` header, add nothing. Bodies over 512 KB get 413; over the "
        "integration's rate, 429 with Retry-After."
    ),
)
class GenericIngestView(IngestView):
    def read(self, body, integration):
        return read_generic(body, identity=integration.identity_labels)


@extend_schema(tags=["events ingest"], request=dict, responses={202: ACCEPTED})
class AlertmanagerWebhookView(IngestView):
    """Alertmanager webhook (version 4) and Grafana alerting's variant of it."""

    def read(self, body, integration):
        return read_alertmanager(body, identity=integration.identity_labels, now=timezone.now())


@extend_schema(tags=["events ingest"], request=dict, responses={200: None})
class PrometheusAlertsView(IngestView):
    """Alertmanager's API, ``POST /api/v2/alerts``: Prometheus can point here directly."""

    def read(self, body, integration):
        return read_prometheus(body, identity=integration.identity_labels, now=timezone.now())

    def accepted(self, events, count):
        # Alertmanager answers 200 with an empty body; Prometheus checks only the status.
        return Response(status=200)


@extend_schema(tags=["events ingest"], request=dict, responses={202: dict, 400: dict, 429: dict})
class PagerDutyEnqueueView(IngestView):
    """PagerDuty Events API v2, answering exactly as PagerDuty does."""

    def find_integration(self, request, decoded, **kwargs):
        routing_key = decoded.get("routing_key", "") if isinstance(decoded, dict) else ""
        self.missing_key = not routing_key
        self.not_an_object = not isinstance(decoded, dict)
        return ingest.integration_by_secret(routing_key) if isinstance(routing_key, str) else None

    def pd_invalid(self, message, errors):
        return Response(
            {"status": "invalid event", "message": message, "errors": errors}, status=400
        )

    def refused(self):
        if getattr(self, "not_an_object", False):
            return self.pd_invalid("Event object is invalid", ["Event object is invalid"])
        if getattr(self, "missing_key", False):
            return self.pd_invalid("Event object is invalid", ["'routing_key' is missing or blank"])
        return self.pd_invalid("Event object is invalid", ["Invalid routing key"])

    def too_large(self):
        return Response(
            {
                "status": "invalid event",
                "message": "Event object is too large",
                "errors": [f"The body is larger than {ingest.MAX_INGEST_BYTES} bytes"],
            },
            status=413,
        )

    def invalid(self, problems):
        return self.pd_invalid("Event object is invalid", problems)

    def not_json(self, content_type):
        return Response(
            {
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": [
                    f"Send the event as JSON (Content-Type: application/json), not {content_type}"
                ],
            },
            status=415,
        )

    def bad_json(self, exc):
        return self.pd_invalid("Event object is invalid", [f"The body is not valid JSON ({exc})"])

    def limited(self, retry_after):
        return Response(
            {
                "status": "throttle event",
                "message": (
                    "Requests for this service are arriving too quickly.  Please retry later."
                ),
            },
            status=429,
            headers={"Retry-After": str(retry_after)},
        )

    def read(self, body, integration):
        return read_pagerduty(body)

    def accepted(self, events, count):
        return Response(
            {
                "status": "success",
                "message": "Event processed",
                "dedup_key": events[0]["fingerprint"],
            },
            status=202,
        )


READER_VIEWS = {
    Format.GENERIC: GenericIngestView,
    Format.ALERTMANAGER: AlertmanagerWebhookView,
    Format.PROMETHEUS: PrometheusAlertsView,
    Format.PAGERDUTY: PagerDutyEnqueueView,
}


@extend_schema(
    tags=["events ingest"],
    request=None,
    responses={200: inline_serializer("CheckedIn", {"status": serializers.CharField()})},
    summary="Check in a scheduled job (GET or POST; /start when it begins, /fail on failure)",
)
class HeartbeatCheckInView(APIView):
    reads_raw_body = True  # any body a job sends is its message, whatever its content type
    authentication_classes: list = []
    permission_classes = [AllowAny]
    kind = CheckInKind.SUCCESS

    def post(self, request, token):
        heartbeat = Heartbeat.objects.filter(token=token).first()
        if heartbeat is None:
            return error(404, "not_found", "Unknown heartbeat.")
        body = request.body[:1000].decode("utf-8", "replace").replace("\x00", "")
        heartbeat_check_in(heartbeat=heartbeat, kind=self.kind, message=body)
        return Response({"status": "ok"})

    get = post
