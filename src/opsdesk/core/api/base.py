"""Base classes every domain's API builds on: viewsets stay thin and call services."""

import copy

from django.db import transaction
from rest_framework import mixins, serializers, viewsets

from opsdesk.core.records import record_delete


class FieldsBuiltOnce:
    """A ModelSerializer whose fields are derived from the model once per class.

    ``ModelSerializer.get_fields`` works out every field from the model's metadata on each
    instantiation although the result depends on the class alone; this keeps the first result
    and hands each instance a deep copy of it (as DRF does with declared fields), at a
    fraction of the cost. The kept fields are never bound to a serializer themselves.
    """

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)


class VersionedSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """Exposes ``version``; send it back on update and a stale one gets 409."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you edited; a stale one is refused with 409.",
    )


def expected_version(request, validated: dict) -> int | None:
    """The version the client edited: the ``version`` field, or an ``If-Match`` header."""
    version = validated.pop("version", None)
    if version is None:
        header = request.headers.get("If-Match", "").strip('"W/ ')
        if header.isdigit():
            version = int(header)
    return version


class ServiceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A viewset whose reads come from a selector and whose writes go through services.

    Subclasses set ``selector`` (viewer -> queryset) and implement ``create_record`` and
    ``update_record``; both receive the validated data and the acting user.
    """

    selector = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return type(self).selector(viewer=self.request.user)

    def create_record(self, *, actor, data):
        raise NotImplementedError

    def update_record(self, *, actor, instance, data, expected_version):
        raise NotImplementedError

    def perform_create(self, serializer):
        serializer.instance = self.create_record(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = expected_version(self.request, data)
        serializer.instance = self.update_record(
            actor=self.request.user,
            instance=serializer.instance,
            data=data,
            expected_version=version,
        )


def audited_destroy(instance, *, actor) -> None:
    """Delete a configuration row through ``record_delete``, for viewsets without a service."""
    with transaction.atomic():
        record_delete(instance, actor=actor)
