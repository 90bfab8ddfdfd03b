"""Knowledge articles, canned responses and survey answers over the API."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from opsdesk.core.api.base import ServiceViewSet
from opsdesk.core.api.permissions import IsAgent
from opsdesk.servicedesk import canned, knowledge, links, selectors
from opsdesk.servicedesk.api import serializers as s
from opsdesk.servicedesk.models import ArticleCategory, Survey
from opsdesk.servicedesk.surveys import survey_id


class ArticleViewSet(ServiceViewSet):
    """Articles you may read; ``?q=`` searches and ranks. Agents write."""

    serializer_class = s.ArticleSerializer
    selector = staticmethod(knowledge.article_list)
    ordering_fields = ["id", "title", "updated_at", "views"]
    ordering = ["-id"]
    filterset_fields = ["state", "audience", "service", "category"]

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

    @extend_schema(request=s.ArticleTransitionSerializer, responses=s.ArticleSerializer)
    @action(detail=True, methods=["post"], serializer_class=s.ArticleTransitionSerializer)
    def transition(self, request, pk=None):
        """Move the article: submit, rework, publish (by another agent) or retire."""
        article = self.get_object()
        body = s.ArticleTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = knowledge.article_transition(
            actor=request.user,
            article=article,
            action=body.validated_data["action"],
            expected_version=body.validated_data.get("version"),
        )
        fresh = self.get_queryset().get(pk=updated.pk)
        return Response(s.ArticleSerializer(fresh, context={"request": request}).data)


def category_list(*, viewer):
    if not getattr(viewer, "is_authenticated", False):
        return ArticleCategory.objects.none()
    return ArticleCategory.objects.select_related("parent")


class CategoryViewSet(ServiceViewSet):
    """The category tree; everyone reads, agents write."""

    serializer_class = s.ArticleCategorySerializer
    selector = staticmethod(category_list)
    ordering_fields = ["id", "name"]
    ordering = ["name", "id"]
    filterset_fields = ["parent"]

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return knowledge.category_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return knowledge.category_update(
            actor=actor, category=instance, expected_version=expected_version, **data
        )


class ArticleLinkViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents resolved with an article. Agents only."""

    serializer_class = s.ArticleIncidentLinkSerializer
    permission_classes = [IsAgent]
    ordering = ["-id"]
    ordering_fields = ["id", "created_at"]
    filterset_fields = ["article", "incident"]

    def get_queryset(self):
        return links.link_list(viewer=self.request.user)

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        link = links.article_link(actor=request.user, **body.validated_data)
        return Response(self.get_serializer(link).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        links.article_unlink(actor=self.request.user, link=instance)


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
    """Survey answers for the tickets you may see, of any record type (callers: their own)."""

    serializer_class = s.SurveySerializer
    queryset = Survey.objects.none()  # for the schema; requests use get_queryset
    ordering = ["-id"]
    ordering_fields = ["id", "rating", "answered_at"]
    filterset_fields = ["rating", "record_type", "record_id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Survey.objects.none()
        user = self.request.user
        return selectors.survey_list(viewer=user)

    def get_object(self):
        pk = survey_id(self.kwargs.get("pk"))
        obj = self.get_queryset().filter(pk=pk).first() if pk is not None else None
        if obj is None:
            raise NotFound()
        return obj
