"""Reporting API, under /api/reports/: every metric with the filters the dashboards take.

``metrics/`` lists the metrics; ``metrics/<key>/`` computes one over ``start``/``end`` (days in
the organisation's time zone, both included) and the filters, grouped by ``group_by``, in
calendar or business ``time``; ``metrics/<key>/records/`` pages through the records behind the
number (``group`` picks one row's). Durations are seconds. The IT team only.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from opsdesk.core.api.pagination import CursorPagination
from opsdesk.core.api.serializers import ApiErrorSerializer
from opsdesk.core.errors import ValidationFailed
from opsdesk.reporting import metrics
from opsdesk.reporting.api.serializers import (
    MetricSerializer,
    RecordFactSerializer,
    ResultSerializer,
)
from opsdesk.reporting.metrics import FilterError, Filters, Metric
from opsdesk.reporting.metrics.base import GROUPINGS
from opsdesk.reporting.selectors import may_see_reports, metric_records, metric_result

TIMES = ("calendar", "business")


class MaySeeReports(permissions.BasePermission):
    message = "Reports are for the IT team."

    def has_permission(self, request, view):
        return may_see_reports(request.user)


def _refuse(errors: dict[str, list[str]]) -> ValidationFailed:
    first, messages = next(iter(errors.items()))
    return ValidationFailed(
        f"Please correct the filters listed: {first}: {messages[0]}", fields=errors
    )


def _filters(query) -> Filters:
    """The filters of a request; a 400 naming each bad field."""
    errors: dict[str, list[str]] = {}
    try:
        filters = Filters.from_query(query)
    except FilterError as exc:
        errors = dict(exc.errors)
    time = (query.get("time") or "").strip()
    if time and time not in TIMES:
        errors["time"] = ["Choose calendar or business."]
    if errors:
        raise _refuse(errors)
    return filters


def _metric(key: str) -> Metric:
    try:
        return metrics.metric(key)
    except KeyError:
        raise NotFound(
            "There is no metric with this key; GET /api/reports/metrics/ lists them."
        ) from None


KEY = OpenApiParameter(
    "key",
    str,
    OpenApiParameter.PATH,
    description="The metric's key, as ``/api/reports/metrics/`` lists them.",
    examples=[
        OpenApiExample("Mean time to resolve", value="mttr"),
        OpenApiExample("Open backlog", value="backlog"),
    ],
)
FILTER_PARAMETERS = [
    OpenApiParameter(
        "start", OpenApiTypes.DATE, description="First day of the period; default 30 days ago."
    ),
    OpenApiParameter(
        "end", OpenApiTypes.DATE, description="Last day of the period; default today."
    ),
    OpenApiParameter("record_type", str, description="A record type's key, e.g. ``incident``."),
    OpenApiParameter("team", int, description="A team's id."),
    OpenApiParameter("person", int, description="The assignee's user id."),
    OpenApiParameter("service", int, description="A service's id (a configuration item)."),
    OpenApiParameter("ci", int, description="A configuration item's id."),
    OpenApiParameter("priority", int, description="A priority, 1 (critical) to 5."),
    OpenApiParameter("category", str),
    OpenApiParameter("channel", str, description="e.g. ``portal``, ``email``, ``phone``."),
    OpenApiParameter(
        "group_by",
        str,
        enum=[key for key in GROUPINGS if key],
        description="One row per group; left out: the total only.",
    ),
    OpenApiParameter(
        "time",
        str,
        enum=list(TIMES),
        description="Durations in calendar (default) or business time.",
    ),
]
ERRORS = {
    400: OpenApiResponse(ApiErrorSerializer, description="A filter is wrong; each is named."),
    403: OpenApiResponse(ApiErrorSerializer, description="Reports are for the IT team."),
    404: OpenApiResponse(ApiErrorSerializer, description="No metric with this key."),
}


class MetricListView(APIView):
    """Every metric opsdesk computes: its key, what it measures and how."""

    permission_classes = [permissions.IsAuthenticated, MaySeeReports]

    @extend_schema(
        tags=["reports"],
        responses={200: MetricSerializer(many=True), 403: ERRORS[403]},
    )
    def get(self, request):
        return Response(MetricSerializer(metrics.all_metrics(), many=True).data)


class MetricResultView(APIView):
    """One metric over the period and filters: a row per group and the total."""

    permission_classes = [permissions.IsAuthenticated, MaySeeReports]

    @extend_schema(
        tags=["reports"],
        parameters=[KEY, *FILTER_PARAMETERS],
        responses={200: ResultSerializer, **ERRORS},
    )
    def get(self, request, key: str):
        found = _metric(key)
        filters = _filters(request.query_params)
        try:
            result = metric_result(key=found.key, filters=filters, viewer=request.user)
        except FilterError as exc:  # a filter this metric cannot take (its own message)
            raise _refuse(exc.errors) from None
        return Response(ResultSerializer(result).data)


class RecordsPagination(CursorPagination):
    ordering = ("-opened_at", "-id")


class MetricRecordsView(generics.ListAPIView):
    """The records behind a metric's number (``group``: one row's), newest first."""

    permission_classes = [permissions.IsAuthenticated, MaySeeReports]
    serializer_class = RecordFactSerializer
    pagination_class = RecordsPagination
    filter_backends: list = []

    @extend_schema(
        tags=["reports"],
        parameters=[
            KEY,
            *FILTER_PARAMETERS,
            OpenApiParameter(
                "group",
                str,
                description="A row's ``group`` key from the metric's answer (with the same "
                "``group_by``): only that row's records.",
            ),
        ],
        responses={200: RecordFactSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        found = _metric(self.kwargs["key"])
        filters = _filters(self.request.query_params)
        group = (self.request.query_params.get("group") or "").strip() or None
        if group is not None and not filters.group_by:
            raise ValidationFailed(
                "Please correct the filters listed: group: give group_by with it.",
                fields={"group": ["A group needs the group_by it came from."]},
            )
        try:
            if group is not None:
                filters.narrow(group)
        except (ValueError, OverflowError):
            raise ValidationFailed(
                "Please correct the filters listed: group: not a key of this grouping.",
                fields={"group": ["Not a group of this grouping."]},
            ) from None
        qs = metric_records(key=found.key, filters=filters, viewer=self.request.user, group=group)
        return qs.select_related("team", "assignee", "service", "ci")
