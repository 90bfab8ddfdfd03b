from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from opsdesk.core import search, selectors, services
from opsdesk.core.api.base import ServiceViewSet
from opsdesk.core.api.filtersets import ApiTokenFilterSet, TeamFilterSet, UserFilterSet
from opsdesk.core.api.pagination import RankedPagination
from opsdesk.core.api.permissions import IsAdminOrReadOnlyAgent
from opsdesk.core.api.serializers import (
    ApiErrorSerializer,
    ApiTokenCreatedSerializer,
    ApiTokenSerializer,
    SearchHitSerializer,
    SearchQuerySerializer,
    TeamSerializer,
    UserSerializer,
)
from opsdesk.core.roles import is_admin


class AdminWrites(permissions.BasePermission):
    message = "Only administrators may change this."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or is_admin(request.user)


class UserViewSet(ServiceViewSet):
    """People: agents see everyone, requesters only themselves; administrators change."""

    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    permission_classes = [permissions.IsAuthenticated, AdminWrites]
    selector = staticmethod(selectors.user_list)
    search_fields = ["username", "display_name", "email", "first_name", "last_name"]
    ordering_fields = ["id", "username", "display_name", "department", "date_joined"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("groups")

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return services.user_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.user_update(
            actor=actor, user=instance, expected_version=expected_version, **data
        )

    @action(detail=False, methods=["get"], permission_classes=[permissions.IsAuthenticated])
    def me(self, request):
        """The signed-in user."""
        return Response(self.get_serializer(request.user).data)


class TeamViewSet(ServiceViewSet, mixins.DestroyModelMixin):
    """Support groups: agents read, administrators change."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    permission_classes = [permissions.IsAuthenticated, IsAdminOrReadOnlyAgent]
    selector = staticmethod(selectors.team_list)
    search_fields = ["name", "description", "email"]
    ordering_fields = ["id", "name", "type"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("members")

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return services.team_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.team_update(
            actor=actor, team=instance, expected_version=expected_version, **data
        )

    def perform_destroy(self, instance):
        services.team_delete(actor=self.request.user, team=instance)


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """API tokens: your own (administrators see all). The secret is shown once, on create."""

    serializer_class = ApiTokenSerializer
    filterset_class = ApiTokenFilterSet
    ordering_fields = ["id", "created_at", "last_used_at"]

    def get_queryset(self):
        return selectors.token_list(viewer=self.request.user)

    @extend_schema(responses={201: ApiTokenCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        token, raw = services.token_create(
            actor=request.user,
            user=data.get("user") or request.user,
            name=data["name"],
            read_only=data.get("read_only", False),
            expires_in_days=data.get("expires_in_days"),
        )
        body = ApiTokenCreatedSerializer(token).data
        body["token"] = raw
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ApiTokenSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the token: it stops working at once."""
        token = services.token_revoke(actor=request.user, token=self.get_object())
        return Response(self.get_serializer(token).data)


class SearchViewSet(viewsets.GenericViewSet):
    """Global search over every record type you may see, best match first."""

    serializer_class = SearchHitSerializer
    pagination_class = RankedPagination
    filter_backends = []

    @extend_schema(
        parameters=[SearchQuerySerializer],
        responses={
            200: SearchHitSerializer(many=True),
            400: OpenApiResponse(ApiErrorSerializer, description="No words, or too many."),
        },
    )
    def list(self, request):
        """Records whose text matches every word of ``q`` (stemmed, in any order), in any
        state, ranked by relevance; a record number answers that record alone."""
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data["q"]
        found = search.find_by_number(query, viewer=request.user)
        if found is not None:
            record_type, record = found
            hits = [search.Hit(record_type, record.pk, 1.0, record)]
        else:
            hits = search.search(query, viewer=request.user)
        page = self.paginate_queryset(hits)
        if found is None:
            page = search.load(page, viewer=request.user)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
