"""Incident API: CRUD through services, the lifecycle as actions, and configuration for admins."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from opsdesk.core.api.base import ServiceViewSet, expected_version
from opsdesk.core.api.permissions import IsAdminOrReadOnlyAgent
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.roles import is_agent
from opsdesk.incidents import answers, configuration, major, selectors, services
from opsdesk.incidents.api import serializers as s
from opsdesk.incidents.api.filtersets import IncidentFilterSet

REQUESTER_REFUSED = frozenset({"impact", "urgency", "priority"})


class IncidentViewSet(ServiceViewSet):
    """Incidents you may see; writes go through the incident services."""

    serializer_class = s.IncidentSerializer
    filterset_class = IncidentFilterSet
    selector = staticmethod(selectors.incident_list)
    search_fields = ["number", "short_description", "description"]
    ordering_fields = ["id", "opened_at", "priority", "updated_at", "number", "state"]
    ordering = ["-opened_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("watchers", "affected_services")

    def get_serializer_class(self):
        if self.action == "create":
            return s.IncidentCreateSerializer
        if self.action in ("update", "partial_update"):
            return s.IncidentUpdateSerializer
        return s.IncidentSerializer

    def create_record(self, *, actor, data):
        data.pop("version", None)
        if not is_agent(actor):
            # As in the portal, a requester does not set impact, urgency or priority: the desk
            # does. The portal's plain question is the requester's way to say how bad it is.
            given = sorted(set(self.request.data) & REQUESTER_REFUSED)
            if given:
                raise ValidationFailed(
                    "The service desk sets impact, urgency and priority; "
                    "answer can_keep_working instead.",
                    fields={name: ["The service desk sets this."] for name in given},
                )
        answer = data.pop("can_keep_working", None)
        if answer is not None:
            if "urgency" in data:
                raise ValidationFailed(
                    "Give either urgency or can_keep_working, not both.",
                    fields={"can_keep_working": ["Give either urgency or this answer."]},
                )
            data["urgency"] = answers.urgency_for(answer)
        data.setdefault("caller", actor)
        return services.incident_open(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.incident_update(
            actor=actor, incident=instance, expected_version=expected_version, **data
        )

    # --- actions ----------------------------------------------------------------------------
    def _answer(self, incident, code=status.HTTP_200_OK):
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(s.IncidentSerializer(incident).data, status=code)

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "version" in serializer.fields:
            data["expected_version"] = expected_version(self.request, data)
        return data

    def _transition(self, name, serializer_class=s.ReasonSerializer):
        data = self._input(serializer_class)
        incident = services.incident_transition(
            actor=self.request.user, incident=self.get_object(), action=name, **data
        )
        return self._answer(incident)

    @extend_schema(request=s.ResolveSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve with a resolution code (by key) and notes."""
        return self._transition("resolve", s.ResolveSerializer)

    @extend_schema(request=s.HoldSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        return self._transition("hold", s.HoldSerializer)

    @extend_schema(request=s.ReasonSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._transition("start")

    @extend_schema(request=s.ReasonSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._transition("resume")

    @extend_schema(request=s.ReasonSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a resolved incident (the caller, a watcher or an agent) with a reason."""
        return self._transition("reopen")

    @extend_schema(request=s.ReasonSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close a resolved incident; the caller closing it confirms the resolution."""
        return self._transition("close")

    @extend_schema(request=s.ReasonSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition("cancel")

    @extend_schema(request=s.AssignSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        data = self._input(s.AssignSerializer)
        incident = services.incident_assign(actor=request.user, incident=self.get_object(), **data)
        return self._answer(incident)

    @extend_schema(request=s.ReasonSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Functional escalation to the assignment group's escalation team."""
        data = self._input(s.ReasonSerializer)
        incident = services.incident_escalate(
            actor=request.user, incident=self.get_object(), **data
        )
        return self._answer(incident)

    @extend_schema(request=None, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        incident = services.incident_acknowledge(actor=request.user, incident=self.get_object())
        return self._answer(incident)

    @extend_schema(request=s.PrioritySerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], url_path="override-priority")
    def override_priority(self, request, pk=None):
        data = self._input(s.PrioritySerializer)
        incident = services.incident_override_priority(
            actor=request.user, incident=self.get_object(), **data
        )
        return self._answer(incident)

    def _comment(self, internal: bool):
        data = self._input(s.CommentSerializer)
        entry = services.incident_comment(
            actor=self.request.user, incident=self.get_object(), internal=internal, **data
        )
        return Response(s.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CommentSerializer, responses={201: s.TimelineEntrySerializer})
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        """A public comment: the caller and watchers see it."""
        return self._comment(internal=False)

    @extend_schema(request=s.CommentSerializer, responses={201: s.TimelineEntrySerializer})
    @action(detail=True, methods=["post"], url_path="work-notes")
    def work_notes(self, request, pk=None):
        """An internal work note: agents only."""
        return self._comment(internal=True)

    @extend_schema(responses=s.TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        entries = selectors.incident_timeline(viewer=request.user, incident=self.get_object())
        return Response(s.TimelineEntrySerializer(entries, many=True).data)

    @extend_schema(request=s.DeclareMajorSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], url_path="declare-major")
    def declare_major(self, request, pk=None):
        data = self._input(s.DeclareMajorSerializer)
        incident = major.incident_declare_major(
            actor=request.user, incident=self.get_object(), **data
        )
        return self._answer(incident)

    @extend_schema(request=s.StakeholderUpdateSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], url_path="stakeholder-updates")
    def stakeholder_updates(self, request, pk=None):
        data = self._input(s.StakeholderUpdateSerializer)
        incident = major.incident_stakeholder_update(
            actor=request.user, incident=self.get_object(), **data
        )
        return self._answer(incident)

    @extend_schema(request=s.EndMajorSerializer, responses={201: s.PostIncidentReviewSerializer})
    @action(detail=True, methods=["post"], url_path="end-major")
    def end_major(self, request, pk=None):
        """End the major incident with its outage window; answers the post-incident review."""
        data = self._input(s.EndMajorSerializer)
        review = major.incident_end_major(actor=request.user, incident=self.get_object(), **data)
        return Response(s.PostIncidentReviewSerializer(review).data, status=201)

    def _other(self):
        data = self._input(s.IncidentRefSerializer)
        return get_object_or_404(self.get_queryset(), pk=data["incident"])

    @extend_schema(request=s.IncidentRefSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], url_path="attach-child")
    def attach_child(self, request, pk=None):
        """Attach another incident (``incident``) as a child of this one."""
        parent = self.get_object()
        child = major.incident_attach_child(actor=request.user, parent=parent, child=self._other())
        return self._answer(child)

    @extend_schema(request=s.IncidentRefSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Close this incident as a duplicate of ``incident``."""
        duplicate = self.get_object()
        merged = major.incident_merge(actor=request.user, duplicate=duplicate, into=self._other())
        return self._answer(merged)


class AuditedConfigViewSet(viewsets.ModelViewSet):
    """Configuration rows: agents read, administrators change, every change audited."""

    permission_classes = [permissions.IsAuthenticated, IsAdminOrReadOnlyAgent]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = configuration.config_create(
            actor=self.request.user,
            model=serializer.Meta.model,
            values=dict(serializer.validated_data),
        )

    def perform_update(self, serializer):
        serializer.instance = configuration.config_update(
            actor=self.request.user, obj=serializer.instance, values=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        configuration.config_delete(actor=self.request.user, obj=instance)


class CategoryViewSet(AuditedConfigViewSet):
    serializer_class = s.CategorySerializer
    filterset_fields = ["parent", "active"]
    search_fields = ["name"]

    def get_queryset(self):
        return selectors.category_list().order_by("id")


class ResolutionCodeViewSet(AuditedConfigViewSet):
    serializer_class = s.ResolutionCodeSerializer
    filterset_fields = ["active"]

    def get_queryset(self):
        return selectors.resolution_code_list().order_by("id")


class PriorityMatrixViewSet(AuditedConfigViewSet):
    serializer_class = s.PriorityMatrixRowSerializer
    filterset_fields = ["impact", "urgency", "priority"]

    def get_queryset(self):
        return selectors.priority_matrix().order_by("id")


class AssignmentRuleViewSet(AuditedConfigViewSet):
    serializer_class = s.AssignmentRuleSerializer
    filterset_fields = ["active", "assignment_group", "category", "channel"]

    def get_queryset(self):
        return selectors.assignment_rule_list().order_by("id")
