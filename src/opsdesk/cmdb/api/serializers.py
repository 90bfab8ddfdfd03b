from rest_framework import serializers

from opsdesk.cmdb.models import DEPARTMENT_MAX_LENGTH, CIClass, ConfigurationItem, Relationship
from opsdesk.cmdb.roles import cmdb_can_read_all
from opsdesk.core.api.base import VersionedSerializer
from opsdesk.core.models import Team, User


class CIClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = CIClass
        fields = ["id", "key", "name", "description", "attribute_schema"]


class ConfigurationItemSerializer(VersionedSerializer):
    ci_class = serializers.SlugRelatedField(
        slug_field="key", queryset=CIClass.objects.all(), help_text="The class key, e.g. server."
    )
    class_name = serializers.CharField(source="ci_class.name", read_only=True)
    supporting_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    service_owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    consumer_departments = serializers.ListField(
        child=serializers.CharField(max_length=DEPARTMENT_MAX_LENGTH),
        required=False,
        max_length=500,
        help_text="Business and technical services only: departments whose people use it, "
        "matched in any case against users' department.",
    )
    subscribers = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="Business and technical services only: ids of active users who follow it. "
        "Shown to service-desk staff only; sending it replaces the list.",
    )

    class Meta:
        model = ConfigurationItem
        fields = [
            "id",
            "name",
            "ci_class",
            "class_name",
            "status",
            "environment",
            "criticality",
            "supporting_team",
            "service_owner",
            "vendor",
            "location",
            "description",
            "attributes",
            "consumer_departments",
            "subscribers",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness per class is checked by the service, with the same message everywhere.
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not cmdb_can_read_all(request.user):
            data.pop("subscribers", None)  # who follows a service is not the public's business
        return data


class RelationshipSerializer(serializers.ModelSerializer):
    source = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    target = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    source_name = serializers.CharField(source="source.name", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    type_label = serializers.CharField(source="get_type_display", read_only=True)

    class Meta:
        model = Relationship
        fields = [
            "id",
            "source",
            "source_name",
            "type",
            "type_label",
            "target",
            "target_name",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators = []


# --- impact analysis: plain serializers over impact.Walk -------------------------------------
class CIBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    class_key = serializers.CharField()
    class_name = serializers.CharField()
    criticality = serializers.IntegerField()
    status = serializers.CharField()


class HopSerializer(serializers.Serializer):
    source_id = serializers.IntegerField()
    type = serializers.CharField()
    label = serializers.CharField()
    target_id = serializers.IntegerField()


class ReachedSerializer(serializers.Serializer):
    ci = CIBriefSerializer()
    depth = serializers.IntegerField()
    path = CIBriefSerializer(many=True, help_text="From the CI asked about to this one.")
    hops = HopSerializer(many=True, help_text="The relationships along the path, in order.")
    explanation = serializers.CharField()


class WalkSerializer(serializers.Serializer):
    start = CIBriefSerializer()
    max_depth = serializers.IntegerField()
    reached_count = serializers.IntegerField(help_text="CIs of any class reached by the walk.")
    depth_limit_reached = serializers.BooleanField()
    items = ReachedSerializer(many=True)


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    written = serializers.BooleanField()
    message = serializers.CharField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    relationships_created = serializers.IntegerField()
    relationships_unchanged = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
