"""Knowledge articles, canned responses and survey answers over the API."""

from django.db.models import Q
from rest_framework import viewsets
from rest_framework.exceptions import NotFound

from opsdesk.core.api.base import ServiceViewSet
from opsdesk.core.api.permissions import IsAgent
from opsdesk.core.roles import is_agent
from opsdesk.incidents.selectors import incident_list
from opsdesk.servicedesk import canned, knowledge
from opsdesk.servicedesk.api import serializers as s
from opsdesk.servicedesk.models import Survey


class ArticleViewSet(ServiceViewSet):
    """Articles you may read; ``?q=`` searches and ranks. Agents write."""

    serializer_class = s.ArticleSerializer
    selector = staticmethod(knowledge.article_list)
    ordering_fields = ["id", "title", "updated_at", "views"]
    ordering = ["-id"]
    filterset_fields = ["state", "audience", "service"]

    def get_queryset(self):
        query = self.request.query_params.get("q", "").strip()
        if query:
            found = knowledge.article_search(
                viewer=self.request.user, text=query, published_only=False
            )
            return knowledge.article_list(viewer=self.request.user).filter(
                pk__in=found.values("pk")
            )
        return super().get_queryset()

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return knowledge.article_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return knowledge.article_update(
            actor=actor, article=instance, expected_version=expected_version, **data
        )


class CannedResponseViewSet(ServiceViewSet):
    serializer_class = s.CannedResponseSerializer
    selector = staticmethod(canned.canned_list)
    permission_classes = [IsAgent]
    ordering_fields = ["id", "title"]
    ordering = ["title", "id"]

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return canned.canned_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return canned.canned_update(
            actor=actor, response=instance, expected_version=expected_version, **data
        )


class SurveyViewSet(viewsets.ReadOnlyModelViewSet):
    """Survey answers for the incidents you may see (callers: their own)."""

    serializer_class = s.SurveySerializer
    queryset = Survey.objects.none()  # for the schema; requests use get_queryset
    ordering = ["-id"]
    ordering_fields = ["id", "rating", "answered_at"]
    filterset_fields = ["rating", "incident"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Survey.objects.none()
        user = self.request.user
        visible = incident_list(viewer=user).values("pk")
        qs = Survey.objects.filter(incident__in=visible)
        return qs if is_agent(user) else qs.filter(Q(caller=user))

    def get_object(self):
        obj = self.get_queryset().filter(pk=self.kwargs.get("pk")).first()
        if obj is None:
            raise NotFound()
        return obj
