"""What every record type has through one API: its files and its related records.

``/api/records/<record type>/<id>/...`` takes a record type's key from the registry in
``core.search`` (``incident``; problems and requests once they register), so a new record type
gets these endpoints by registering. A record the caller may not see answers 404, as if missing.
"""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, negotiation, parsers, permissions, serializers, status
from rest_framework.response import Response

from opsdesk.core import related
from opsdesk.core.api.permissions import IsAgent
from opsdesk.core.api.serializers import UserBriefSerializer
from opsdesk.core.attachments import attachment_add, attachments_visible, file_response
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import Attachment
from opsdesk.core.search import find_by_number, visible_record

RECORD_PARAMETERS = [
    OpenApiParameter(
        "record_type",
        str,
        OpenApiParameter.PATH,
        description="The record type's key, for example ``incident``.",
    ),
    OpenApiParameter("id", int, OpenApiParameter.PATH, description="The record's id."),
]


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    content_type = serializers.CharField(
        source="content_type_detected",
        read_only=True,
        help_text="The type recognised from the file's bytes.",
    )
    uploaded_by = UserBriefSerializer(read_only=True, allow_null=True)
    is_original_mail = serializers.BooleanField(
        read_only=True, help_text="The message the ticket was mailed in with (agents only)."
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "size",
            "content_type",
            "is_public",
            "is_original_mail",
            "uploaded_by",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, attachment) -> str:
        """The file through the API (token or session), checked like the list."""
        url = reverse(
            "record-attachment",
            kwargs={
                "record_type": self.context["record_type"],
                "id": attachment.object_id,
                "attachment_id": attachment.pk,
            },
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The file, at most the configured attachment size.")
    internal = serializers.BooleanField(
        default=False, help_text="Only agents see it (agents only; requesters add public files)."
    )


class RecordScoped:
    """Views under ``records/<record_type>/<id>/``: the record, if the caller may see it."""

    def get_record(self):
        found = visible_record(
            self.kwargs["record_type"], self.kwargs["id"], viewer=self.request.user
        )
        if found is None:
            raise Http404
        return found[1]


@extend_schema(parameters=RECORD_PARAMETERS)
class RecordAttachmentsView(RecordScoped, generics.GenericAPIView):
    """A record's files: requesters get the public files of records they may see, agents all
    of them, including internal files and the original message of a mailed-in ticket."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [parsers.MultiPartParser]
    pagination_class = None
    filter_backends = []

    def get_serializer_class(self):
        if self.request is not None and self.request.method == "POST":
            return AttachmentUploadSerializer
        return AttachmentSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "record_type": self.kwargs["record_type"]}

    @extend_schema(responses=AttachmentSerializer(many=True))
    def get(self, request, record_type, id):
        files = attachments_visible(viewer=request.user, record=self.get_record())
        context = self.get_serializer_context()
        return Response(AttachmentSerializer(files, many=True, context=context).data)

    @extend_schema(request=AttachmentUploadSerializer, responses={201: AttachmentSerializer})
    def post(self, request, record_type, id):
        """Attach one file (multipart ``file``); ``internal`` hides it from the caller."""
        record = self.get_record()
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        stored = attachment_add(
            actor=request.user,
            record=record,
            upload=upload.validated_data["file"],
            internal=upload.validated_data["internal"],
        )
        body = AttachmentSerializer(stored, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class AnyAccept(negotiation.BaseContentNegotiation):
    """A download answers the file's own type whatever the client accepts; refusals (404,
    401) answer JSON, as everywhere in the API."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(
    parameters=[
        *RECORD_PARAMETERS,
        OpenApiParameter(
            "attachment_id", int, OpenApiParameter.PATH, description="The attachment's id."
        ),
    ],
)
class RecordAttachmentView(RecordScoped, generics.GenericAPIView):
    """One file of a record, as a download under its original name."""

    permission_classes = [permissions.IsAuthenticated]
    content_negotiation_class = AnyAccept
    serializer_class = AttachmentSerializer

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, record_type, id, attachment_id):
        files = attachments_visible(viewer=request.user, record=self.get_record())
        attachment = files.filter(pk=attachment_id).first()
        if attachment is None:
            raise Http404
        return file_response(attachment)


class RelatedRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="link.pk", help_text="The link's id (to unlink).")
    record_type = serializers.CharField(source="record_type.key")
    record_type_label = serializers.CharField(source="record_type.label")
    record_id = serializers.IntegerField(source="record.pk")
    number = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The related record's page.")
    linked_by = UserBriefSerializer(source="link.created_by", allow_null=True)
    linked_at = serializers.DateTimeField(source="link.created_at")


class RecordLinkSerializer(serializers.Serializer):
    number = serializers.CharField(
        max_length=30, help_text="The other record's number, for example INC0001234."
    )


@extend_schema(parameters=RECORD_PARAMETERS)
class RecordLinksView(RecordScoped, generics.GenericAPIView):
    """Related records (not parent or child): agents only."""

    permission_classes = [permissions.IsAuthenticated, IsAgent]
    serializer_class = RecordLinkSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(responses=RelatedRecordSerializer(many=True))
    def get(self, request, record_type, id):
        items = related.related_records(viewer=request.user, record=self.get_record())
        return Response(RelatedRecordSerializer(items, many=True).data)

    @extend_schema(request=RecordLinkSerializer, responses={201: RelatedRecordSerializer})
    def post(self, request, record_type, id):
        """Relate this record to another one, given by its number."""
        record = self.get_record()
        given = RecordLinkSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        number = given.validated_data["number"].strip()
        found = find_by_number(number, viewer=request.user)
        if found is None:
            raise ValidationFailed(
                f"No record {number.upper()} that you may see.",
                fields={"number": ["Check the number."]},
            )
        link = related.record_link(actor=request.user, record=record, other=found[1])
        record_type, other = found
        url = record_type.url(other, request.user)
        item = related.RelatedRecord(link=link, record_type=record_type, record=other, url=url)
        return Response(RelatedRecordSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema(
    parameters=[
        *RECORD_PARAMETERS,
        OpenApiParameter("link_id", int, OpenApiParameter.PATH, description="The link's id."),
    ],
)
class RecordLinkView(RecordScoped, generics.GenericAPIView):
    permission_classes = [permissions.IsAuthenticated, IsAgent]
    serializer_class = RelatedRecordSerializer

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, record_type, id, link_id):
        """Remove the link; both records' timelines say so."""
        link = related.record_link_for(viewer=request.user, record=self.get_record(), pk=link_id)
        if link is None:
            raise Http404
        related.record_unlink(actor=request.user, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)
