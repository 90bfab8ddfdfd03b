from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, parsers, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from opsdesk.cmdb import selectors, services, transfer
from opsdesk.cmdb.api.filtersets import ConfigurationItemFilterSet, RelationshipFilterSet
from opsdesk.cmdb.api.serializers import (
    CIClassSerializer,
    ConfigurationItemSerializer,
    ImportReportSerializer,
    RelationshipSerializer,
    WalkSerializer,
)
from opsdesk.cmdb.roles import cmdb_can_edit, cmdb_can_read_all
from opsdesk.core.api.base import ServiceViewSet
from opsdesk.core.errors import error_body
from opsdesk.core.models import User


class EditorsWrite(permissions.BasePermission):
    """Anyone signed in reads what the selector shows them; editors change."""

    message = "Only administrators and service owners may change the CMDB."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or cmdb_can_edit(request.user)


class StaffRead(permissions.BasePermission):
    message = "Only service-desk staff and service owners may see this."

    def has_permission(self, request, view):
        return cmdb_can_read_all(request.user)


def depth_param(request) -> int:
    raw = request.query_params.get("max_depth", "")
    if raw == "":
        return selectors.DEFAULT_MAX_DEPTH
    if not raw.isdigit() or not 1 <= int(raw) <= 50:
        raise ValidationError({"max_depth": ["A whole number from 1 to 50."]})
    return int(raw)


DEPTH = OpenApiParameter("max_depth", int, description="How many hops to follow (1-50).")


class CIClassViewSet(viewsets.ReadOnlyModelViewSet):
    """The classes of CIs and the schema each one's attributes must satisfy."""

    serializer_class = CIClassSerializer
    queryset = selectors.ci_class_list()
    pagination_class = None


class ConfigurationItemViewSet(ServiceViewSet):
    """Configuration items. Requesters see business services only."""

    serializer_class = ConfigurationItemSerializer
    filterset_class = ConfigurationItemFilterSet
    permission_classes = [permissions.IsAuthenticated, EditorsWrite]
    selector = staticmethod(selectors.ci_list)
    search_fields = ["name", "description", "vendor", "location"]
    ordering_fields = ["id", "name", "criticality", "status", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        # One query for every listed CI's subscriber ids, instead of one per CI.
        only_ids = User.objects.only("id")
        return super().get_queryset().prefetch_related(Prefetch("subscribers", only_ids))

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return services.ci_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.ci_update(
            actor=actor, ci=instance, expected_version=expected_version, **data
        )

    @extend_schema(parameters=[DEPTH], responses={200: WalkSerializer})
    @action(detail=True, methods=["get"], permission_classes=[StaffRead])
    def impact(self, request, pk=None):
        """Every business service that depends on this CI, with the path that explains it."""
        walk = selectors.ci_impacted_services(ci=self.get_object(), max_depth=depth_param(request))
        return Response(WalkSerializer(walk).data)

    @extend_schema(parameters=[DEPTH], responses={200: WalkSerializer})
    @action(detail=True, methods=["get"], permission_classes=[StaffRead])
    def dependencies(self, request, pk=None):
        """Everything this CI depends on, directly or through others, with paths."""
        walk = selectors.ci_dependencies(ci=self.get_object(), max_depth=depth_param(request))
        return Response(WalkSerializer(walk).data)


class RelationshipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Typed, directed links between CIs: "source <type> target"."""

    serializer_class = RelationshipSerializer
    filterset_class = RelationshipFilterSet
    permission_classes = [StaffRead, EditorsWrite]
    ordering_fields = ["id", "type"]

    def get_queryset(self):
        return selectors.relationship_list(viewer=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.relationship_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.relationship_delete(actor=self.request.user, relationship=instance)


class RawFileParser(parsers.BaseParser):
    """The request body as text: a CSV or JSON file posted as it is."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"__raw__": stream.read() if stream else b""}


def _uploaded_text(request) -> tuple[str, str]:
    upload = request.FILES.get("file")
    raw = upload.read() if upload else request.data.get("__raw__", b"")
    name = upload.name if upload else ""
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError:
        raise ValidationError({"file": ["The file must be UTF-8 text."]}) from None


class ImportView(APIView):
    """Upsert CIs and relationships from a CSV or JSON file; ``?dry_run=1`` only checks it."""

    parser_classes = [parsers.MultiPartParser, RawFileParser]
    permission_classes = [permissions.IsAuthenticated, EditorsWrite]

    @extend_schema(
        request={"multipart/form-data": OpenApiTypes.BINARY, "text/csv": OpenApiTypes.STR},
        parameters=[
            OpenApiParameter("dry_run", bool, description="Check every row, write nothing."),
            OpenApiParameter("file_format", str, enum=transfer.FORMATS),
        ],
        responses={200: ImportReportSerializer},
    )
    def post(self, request):
        if not cmdb_can_edit(request.user):
            self.permission_denied(request, message=EditorsWrite.message)
        text, name = _uploaded_text(request)
        if not text.strip():
            raise ValidationError({"file": ["Send a CSV or JSON file as the body or as 'file'."]})
        fmt = request.query_params.get("file_format") or transfer.detect_format(text, name)
        if fmt not in transfer.FORMATS:
            raise ValidationError({"file_format": ["Choose csv or json."]})
        dry_run = request.query_params.get("dry_run", "").lower() in ("1", "true", "yes")
        report = transfer.cmdb_import(actor=request.user, text=text, fmt=fmt, dry_run=dry_run)
        if report.errors and not dry_run:
            body = error_body(
                "import_rejected",
                report.message,
                {f"line {e.line}": [e.reason] for e in report.errors},
            )
            body["error"]["report"] = report.as_dict()
            return Response(body, status=400)
        return Response(report.as_dict())


class ExportView(APIView):
    """The CMDB as a file: JSON (CIs and relationships) or CSV (one kind at a time)."""

    permission_classes = [StaffRead]

    @extend_schema(
        parameters=[
            OpenApiParameter("file_format", str, enum=transfer.FORMATS),
            OpenApiParameter("kind", str, enum=["cis", "relationships"]),
        ],
        responses={
            (200, "application/json"): inline_serializer(
                "CmdbExport",
                {
                    "cis": serializers.ListField(child=serializers.DictField()),
                    "relationships": serializers.ListField(child=serializers.DictField()),
                },
            ),
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request):
        fmt = request.query_params.get("file_format", "json")
        kind = request.query_params.get("kind", "cis")
        if fmt not in transfer.FORMATS:
            raise ValidationError({"file_format": ["Choose csv or json."]})
        if kind not in ("cis", "relationships"):
            raise ValidationError({"kind": ["Choose cis or relationships."]})
        text = transfer.cmdb_export(fmt=fmt, kind=kind)
        content_type = "application/json" if fmt == "json" else "text/csv; charset=utf-8"
        filename = f"cmdb.{fmt}" if fmt == "json" else f"cmdb-{kind}.csv"
        response = HttpResponse(text, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
