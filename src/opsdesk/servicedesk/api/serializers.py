"""Serializers of the service desk API."""

from rest_framework import serializers

from opsdesk.core.api.base import VersionedSerializer
from opsdesk.servicedesk.models import (
    ArticleCategory,
    ArticleIncidentLink,
    CannedResponse,
    KnowledgeArticle,
    Survey,
)


class ArticleSerializer(VersionedSerializer):
    body_html = serializers.SerializerMethodField()
    resolved_incidents = serializers.SerializerMethodField()

    class Meta:
        model = KnowledgeArticle
        fields = [
            "id",
            "number",
            "title",
            "body",
            "body_html",
            "audience",
            "category",
            "service",
            "keywords",
            "state",
            "author",
            "published_at",
            "views",
            "helpful_yes",
            "helpful_no",
            "resolved_incidents",
            "version",
            "created_at",
            "updated_at",
        ]
        # State moves through POST .../transition/, never through an edit.
        read_only_fields = [
            "number",
            "state",
            "author",
            "published_at",
            "views",
            "helpful_yes",
            "helpful_no",
        ]

    def get_resolved_incidents(self, obj) -> int:
        count = getattr(obj, "incident_count", None)
        return obj.incident_links.count() if count is None else count

    def get_body_html(self, obj) -> str:
        from opsdesk.core.timeline import render_markdown

        return str(render_markdown(obj.body))


class CannedResponseSerializer(VersionedSerializer):
    class Meta:
        model = CannedResponse
        fields = ["id", "title", "body", "team", "active", "version", "created_at", "updated_at"]


class SurveySerializer(serializers.ModelSerializer):
    class Meta:
        model = Survey
        fields = [
            "id",
            "record_type",
            "record_id",
            "number",
            "caller",
            "rating",
            "comment",
            "answered_at",
            "expires_at",
        ]


class ArticleTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["submit", "rework", "publish", "retire"])
    version = serializers.IntegerField(required=False)


class ArticleCategorySerializer(VersionedSerializer):
    class Meta:
        model = ArticleCategory
        fields = ["id", "name", "parent", "description", "version", "created_at", "updated_at"]


class ArticleIncidentLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = ArticleIncidentLink
        fields = ["id", "article", "incident", "linked_by", "created_at"]
        read_only_fields = ["linked_by", "created_at"]
        # The service refuses a second link with a message on ``article``.
        validators = []
