"""Request fulfilment API: the catalog, ordering, requests and items with their moves."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from opsdesk.core.api.base import expected_version
from opsdesk.core.errors import ValidationFailed
from opsdesk.service_requests import selectors, services
from opsdesk.service_requests.api import serializers as s
from opsdesk.service_requests.models import CatalogCategory, CatalogItem

ITEM_MOVES = ("start", "ask", "fulfil", "reopen", "close", "cancel")


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CatalogCategorySerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = CatalogCategory.objects.filter(active=True).order_by("order", "name")


class CatalogItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """What you may order; catalog managers see every item and change them."""

    serializer_class = s.CatalogItemSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "slug"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return CatalogItem.objects.none()
        user = self.request.user
        if selectors.may_manage_catalog(user):
            return CatalogItem.objects.select_related("category", "owner_team").order_by("name")
        return selectors.catalog_items(viewer=user).select_related("category", "owner_team")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = services.catalog_item_save(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = expected_version(self.request, data)
        serializer.instance = services.catalog_item_save(
            actor=self.request.user,
            item=serializer.instance,
            expected_version=version,
            **data,
        )


class ServiceRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Requests you ordered, are for you, or (the desk) may see; ordering is a POST here."""

    serializer_class = s.ServiceRequestSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "number"

    def get_queryset(self):
        return (
            selectors.request_list(viewer=self.request.user)
            .prefetch_related("items__catalog_item", "items__requested_for", "items__caller")
            .order_by("-opened_at", "-id")
        )

    @extend_schema(request=s.OrderSerializer, responses={201: s.ServiceRequestSerializer})
    def create(self, request):
        order = s.OrderSerializer(data=request.data)
        order.is_valid(raise_exception=True)
        data = order.validated_data
        slugs = [line["catalog_item"] for line in data["items"]]
        found = {i.slug: i for i in CatalogItem.objects.filter(slug__in=slugs)}
        missing = {
            f"items.{n}.catalog_item": ["There is no such catalog item."]
            for n, slug in enumerate(slugs)
            if slug not in found
        }
        if missing:
            raise ValidationFailed("Some items cannot be ordered.", fields=missing)
        ordered = services.request_submit(
            actor=request.user,
            lines=[
                (found[line["catalog_item"]], line["answers"], line["quantity"])
                for line in data["items"]
            ],
            requested_for=data.get("requested_for"),
            channel_label="the API",
        )
        body = s.ServiceRequestSerializer(self.get_queryset().get(pk=ordered.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ItemReasonSerializer, responses=s.ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        req = self.get_object()
        given = s.ItemReasonSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.request_cancel(actor=request.user, request=req, reason=given.data["reason"])
        return Response(s.ServiceRequestSerializer(self.get_queryset().get(pk=req.pk)).data)


class RequestItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requested items; their moves are actions (``/items/RITM.../fulfil/``)."""

    serializer_class = s.RequestItemSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "number"

    def get_queryset(self):
        qs = selectors.item_list(viewer=self.request.user).order_by("-opened_at", "-id")
        state = self.request.query_params.get("state")
        return qs.filter(state=state) if state else qs

    def _move(self, request, number, name):
        item = self.get_object()
        given = s.ItemReasonSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        version = expected_version(request, data)
        moved = services.item_transition(
            actor=request.user,
            item=item,
            action=name,
            reason=data.get("reason", ""),
            expected_version=version,
        )
        return Response(s.RequestItemSerializer(self.get_queryset().get(pk=moved.pk)).data)

    @extend_schema(request=s.InformationSerializer, responses=s.RequestItemSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, number=None):
        """The requester gives the information the desk asked for."""
        item = self.get_object()
        given = s.InformationSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.item_add_information(actor=request.user, item=item, body=given.data["body"])
        return Response(s.RequestItemSerializer(self.get_queryset().get(pk=item.pk)).data)


def _move_action(name: str):
    @extend_schema(request=s.ItemReasonSerializer, responses=s.RequestItemSerializer)
    def move(self, request, number=None):
        return self._move(request, number, name)

    move.__name__ = name
    move.__doc__ = f"The item's “{name}” move."
    return action(detail=True, methods=["post"], url_path=name, url_name=name)(move)


for _name in ITEM_MOVES:
    setattr(RequestItemViewSet, _name, _move_action(_name))
