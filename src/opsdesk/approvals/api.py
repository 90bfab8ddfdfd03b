"""REST API of approvals, under /api/approvals/: my approval requests and the schemes.

``requests/`` lists what the caller is asked to approve (their own and, while a delegation is
active, their delegators' pending ones; ``?state=pending`` for the open ones only);
``requests/<id>/approve/`` and ``.../reject/`` decide with an optional ``comment``. Someone
else's request answers 404. ``schemes/`` is the configuration, for administrators.
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from opsdesk.approvals import selectors, services
from opsdesk.approvals.models import (
    ApprovalRequest,
    ApprovalRule,
    ApprovalScheme,
    ApprovalStage,
    DecidedVia,
    RequestState,
    TimeoutAction,
)
from opsdesk.core.api.base import FieldsBuiltOnce, ServiceViewSet
from opsdesk.core.models import Team, User
from opsdesk.core.roles import is_admin


# --- my approval requests -----------------------------------------------------------------------
class ApprovalSubjectSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.IntegerField()
    number = serializers.CharField()
    short_description = serializers.CharField()
    requester = serializers.CharField()
    requested_for = serializers.CharField()


class ApprovalRequestSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    approver = serializers.StringRelatedField()
    delegated_from = serializers.StringRelatedField()
    stage = serializers.CharField(source="run.stage.name", read_only=True)
    approval = serializers.IntegerField(source="run.approval_id", read_only=True)
    approval_state = serializers.CharField(source="run.approval.state", read_only=True)
    scheme = serializers.CharField(source="run.approval.scheme.name", read_only=True)
    privileged = serializers.BooleanField(source="run.approval.privileged", read_only=True)
    subject = serializers.SerializerMethodField()
    answers = serializers.JSONField(source="run.approval.answers", read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "state",
            "state_label",
            "approver",
            "delegated_from",
            "stage",
            "approval",
            "approval_state",
            "scheme",
            "privileged",
            "subject",
            "answers",
            "comment",
            "created_at",
            "decided_at",
            "decided_via",
        ]
        read_only_fields = fields

    @extend_schema_field(ApprovalSubjectSerializer)
    def get_subject(self, obj) -> dict:
        approval = obj.run.approval
        summary = selectors.subject_summary(approval)
        return {
            "type": approval.subject_type.model,
            "id": approval.subject_id,
            "number": summary["number"],
            "short_description": summary["short_description"],
            "requester": summary["requester"],
            "requested_for": summary["requested_for"],
        }


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ApprovalRequestFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=RequestState.choices)

    class Meta:
        model = ApprovalRequest
        fields = ["state"]


class ApprovalRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """What you are asked to approve; approve or reject with a comment."""

    serializer_class = ApprovalRequestSerializer
    filterset_class = ApprovalRequestFilterSet
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        return selectors.approval_requests_for(viewer=self.request.user)

    def _decide(self, request, decision: str):
        found = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.approval_decide(
            request=found,
            decision=decision,
            comment=body.validated_data.get("comment", ""),
            actor=request.user,
            via=DecidedVia.API,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=found.pk)).data)

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, "approve")

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, "reject")


# --- schemes (administrators) -------------------------------------------------------------------
class StageSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    rule = serializers.ChoiceField(choices=ApprovalRule.choices)
    timeout_action = serializers.ChoiceField(
        choices=TimeoutAction.choices, required=False, allow_blank=True
    )
    from_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    from_users = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    fallback_approver = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    class Meta:
        model = ApprovalStage
        fields = [
            "id",
            "position",
            "name",
            "condition",
            "rule",
            "required_count",
            "required_percent",
            "from_manager",
            "from_team",
            "from_users",
            "from_ci_owner",
            "from_service_owner",
            "from_answer",
            "fallback_approver",
            "timeout_hours",
            "timeout_action",
            "reminder_hours",
        ]
        read_only_fields = ["id", "position"]


class SchemeSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    stages = StageSerializer(many=True)
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = ApprovalScheme
        fields = ["id", "name", "description", "active", "stages", "version"]
        read_only_fields = ["id"]
        # Uniqueness is the service's (and the database's) to answer, with a field message.
        extra_kwargs = {"name": {"validators": []}}


class IsAdministrator(permissions.BasePermission):
    def has_permission(self, request, view):
        return is_admin(request.user)


class SchemeViewSet(ServiceViewSet, mixins.DestroyModelMixin):
    """Approval schemes with their ordered stages; send ``stages`` to replace them all."""

    serializer_class = SchemeSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdministrator]
    selector = staticmethod(selectors.scheme_list)
    search_fields = ["name"]
    ordering_fields = ["id", "name"]

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return services.scheme_create(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.scheme_update(
            actor=actor, scheme=instance, data=data, expected_version=expected_version
        )

    def perform_destroy(self, instance):
        services.scheme_delete(actor=self.request.user, scheme=instance)

    def perform_create(self, serializer):
        super().perform_create(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


router = DefaultRouter()
router.register("requests", ApprovalRequestViewSet, basename="approval-request")
router.register("schemes", SchemeViewSet, basename="approval-scheme")

urlpatterns: list = [*router.urls]
