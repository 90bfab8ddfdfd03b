"""Serializers of the service desk API."""

from rest_framework import serializers

from opsdesk.core.api.base import VersionedSerializer
from opsdesk.servicedesk.models import CannedResponse, KnowledgeArticle, Survey


class ArticleSerializer(VersionedSerializer):
    body_html = serializers.SerializerMethodField()

    class Meta:
        model = KnowledgeArticle
        fields = [
            "id",
            "number",
            "title",
            "body",
            "body_html",
            "audience",
            "service",
            "keywords",
            "state",
            "published_at",
            "views",
            "helpful_yes",
            "helpful_no",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "published_at", "views", "helpful_yes", "helpful_no"]

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
        fields = ["id", "incident", "caller", "rating", "comment", "answered_at", "expires_at"]
