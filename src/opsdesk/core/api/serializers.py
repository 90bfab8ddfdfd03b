from rest_framework import serializers

from opsdesk.core.api.base import VersionedSerializer
from opsdesk.core.models import ApiToken, Team, User
from opsdesk.core.roles import Role
from opsdesk.core.search import MAX_QUERY_LENGTH


class UserBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name"]


class UserSerializer(VersionedSerializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=[str(r) for r in Role]), required=False
    )
    password = serializers.CharField(write_only=True, required=False, min_length=8)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "display_name",
            "first_name",
            "last_name",
            "manager",
            "department",
            "location",
            "phone",
            "time_zone",
            "is_vip",
            "is_active",
            "available",
            "roles",
            "password",
            "date_joined",
            "last_login",
            "version",
        ]
        # Availability has its own audited switch (the owner, or an administrator).
        read_only_fields = ["date_joined", "last_login", "available"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["roles"] = sorted(g.name for g in instance.groups.all())
        return data


class TeamSerializer(VersionedSerializer):
    members = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.all(), required=False
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "type",
            "email",
            "lead",
            "members",
            "escalation_team",
            "description",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    expires_in_days = serializers.IntegerField(
        write_only=True, required=False, min_value=1, max_value=3650
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "user",
            "key_prefix",
            "read_only",
            "expires_in_days",
            "expires_at",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = ["key_prefix", "expires_at", "created_at", "last_used_at", "revoked_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        help_text="Words to find (all must match, in any order, stemmed), or a record number "
        "such as INC0001234, which answers that record alone.",
        error_messages={
            "required": "Type some words or a record number to search for.",
            "blank": "Type some words or a record number to search for.",
            "max_length": f"Search for at most {MAX_QUERY_LENGTH} characters.",
        },
    )


class SearchHitSerializer(serializers.Serializer):
    type = serializers.CharField(source="record_type.key", help_text="incident, kb, ci, …")
    type_label = serializers.CharField(source="record_type.label")
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField(help_text="Empty for records without numbers (CIs).")
    title = serializers.CharField()
    state_label = serializers.CharField(help_text="The state as people read it.")
    url = serializers.SerializerMethodField(help_text="The record's page for you.")
    score = serializers.FloatField(help_text="Relevance; higher is better.")

    def get_url(self, hit) -> str:
        return hit.record_type.url(hit.record, self.context["request"].user)


class ApiErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ApiErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer (see ``core.api.errors``)."""

    error = ApiErrorDetailSerializer()
