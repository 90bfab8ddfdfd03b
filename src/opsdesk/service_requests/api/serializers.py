"""What the request fulfilment API reads and writes."""

from rest_framework import serializers

from opsdesk.approvals.models import ApprovalScheme
from opsdesk.core.api.base import FieldsBuiltOnce, VersionedSerializer
from opsdesk.core.api.serializers import UserBriefSerializer
from opsdesk.core.models import FormSchema, Team, User
from opsdesk.service_requests.models import (
    CatalogCategory,
    CatalogItem,
    RequestItem,
    ServiceRequest,
)
from opsdesk.service_requests.services import MAX_LINES, MAX_QUANTITY


class CatalogCategorySerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = CatalogCategory
        fields = ["id", "name", "slug", "description", "icon", "order"]


class CatalogItemSerializer(VersionedSerializer):
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=CatalogCategory.objects.all()
    )
    owner_team = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all())
    form = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=FormSchema.objects.filter(is_field_set=False),
        required=False,
        allow_null=True,
        help_text="The slug of the form it asks; its fields are in form_fields.",
    )
    form_fields = serializers.SerializerMethodField(
        help_text="The questions the item asks, as form-schema field definitions."
    )
    approval_scheme = serializers.SlugRelatedField(
        slug_field="name",
        queryset=ApprovalScheme.objects.filter(active=True),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = CatalogItem
        fields = [
            "id",
            "slug",
            "name",
            "category",
            "short_description",
            "description",
            "icon",
            "keywords",
            "owner_team",
            "cost",
            "needs_approval",
            "approval_scheme",
            "form",
            "form_fields",
            "standard",
            "privileged",
            "active",
            "available_from",
            "available_until",
            "audience_departments",
            "audience_roles",
            "order_count",
            "version",
        ]
        read_only_fields = ["order_count"]

    def get_form_fields(self, item) -> list[dict]:
        from opsdesk.core.formschema import schema_fields

        return schema_fields(item.form) if item.form_id else []


class OrderLineSerializer(serializers.Serializer):
    catalog_item = serializers.SlugField(help_text="The catalog item's slug, e.g. new-laptop.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    answers = serializers.DictField(
        required=False, default=dict, help_text="The item's form answers by field key."
    )


class OrderSerializer(serializers.Serializer):
    items = OrderLineSerializer(many=True, min_length=1, max_length=MAX_LINES)
    requested_for = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Username of the person it is for; leave out for yourself.",
    )


class TaskBriefSerializer(serializers.Serializer):
    number = serializers.CharField(source="task.number")
    step = serializers.CharField(source="step.name")
    team = serializers.CharField(source="task.assignment_group.name", default=None)
    state = serializers.CharField(source="task.state")
    state_label = serializers.CharField(source="task.get_state_display")
    automation = serializers.CharField()


class RequestItemSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    request = serializers.CharField(source="request.number", read_only=True)
    catalog_item = serializers.CharField(source="catalog_item.slug", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    requested_for = UserBriefSerializer(read_only=True)
    caller = UserBriefSerializer(read_only=True)
    assignment_group = serializers.CharField(
        source="assignment_group.name", default=None, read_only=True
    )
    assignee = UserBriefSerializer(read_only=True, allow_null=True)
    tasks = serializers.SerializerMethodField()

    class Meta:
        model = RequestItem
        fields = [
            "id",
            "number",
            "request",
            "catalog_item",
            "short_description",
            "quantity",
            "state",
            "state_label",
            "priority",
            "caller",
            "requested_for",
            "assignment_group",
            "assignee",
            "opened_at",
            "approved_at",
            "fulfilment_started_at",
            "resolved_at",
            "closed_at",
            "close_reason",
            "version",
            "tasks",
        ]
        read_only_fields = fields

    def get_tasks(self, item) -> list[dict]:
        from opsdesk.service_requests.selectors import plan_tasks_of

        return TaskBriefSerializer(plan_tasks_of(item), many=True).data


class ServiceRequestSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    caller = UserBriefSerializer(read_only=True)
    requested_for = UserBriefSerializer(read_only=True)
    items = RequestItemSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "number",
            "short_description",
            "state",
            "state_label",
            "caller",
            "requested_for",
            "opened_at",
            "resolved_at",
            "closed_at",
            "version",
            "items",
        ]
        read_only_fields = fields


class ItemReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, min_value=1)


class InformationSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)
