"""Task API: tasks you may see, handed out under a parent ticket by its number, changed and
moved through the ticket platform's services. Agents only: tasks are the desk's own work."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from opsdesk.core.api.base import ServiceViewSet, VersionedSerializer, expected_version
from opsdesk.core.api.filtersets import TaskFilterSet
from opsdesk.core.api.permissions import IsAgent
from opsdesk.core.api.serializers import UserBriefSerializer
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import Task, Team, User
from opsdesk.core.models.tickets import TASK_PRIORITY_CHOICES
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_by_number, ticket_type, ticket_type_of
from opsdesk.core.tickets.task import task_create, task_list, task_update


class TaskSerializer(VersionedSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    parent_number = serializers.SerializerMethodField()
    parent_type = serializers.SerializerMethodField()
    assignee_detail = UserBriefSerializer(source="assignee", read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "number",
            "short_description",
            "description",
            "parent_type",
            "parent_number",
            "state",
            "state_label",
            "priority",
            "assignment_group",
            "assignee",
            "assignee_detail",
            "due_at",
            "work_notes_summary",
            "opened_at",
            "resolved_at",
            "closed_at",
            "version",
        ]
        read_only_fields = [
            "number",
            "state",
            "assignment_group",
            "assignee",
            "work_notes_summary",
            "opened_at",
            "resolved_at",
            "closed_at",
        ]

    def get_parent_number(self, task) -> str:
        return getattr(task.parent, "number", "")

    def get_parent_type(self, task) -> str:
        parent = task.parent
        try:
            return ticket_type_of(parent).key if parent is not None else ""
        except LookupError:
            return ""


class TaskCreateSerializer(serializers.Serializer):
    parent = serializers.CharField(max_length=20, help_text="The parent ticket's number.")
    short_description = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=TASK_PRIORITY_CHOICES, required=False)
    due_at = serializers.DateTimeField(required=False, allow_null=True)


class TaskUpdateSerializer(VersionedSerializer):
    class Meta:
        model = Task
        fields = ["short_description", "description", "priority", "due_at", "version"]
        extra_kwargs = {"short_description": {"required": False}}


class TaskAssignSerializer(serializers.Serializer):
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    version = serializers.IntegerField(required=False, min_value=1)


class TaskMoveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="What was done or why not; closing a task needs it.",
    )
    version = serializers.IntegerField(required=False, min_value=1)


class TaskViewSet(ServiceViewSet):
    """Tasks under any registered ticket. Moves: start, hold, resume, complete, incomplete,
    cancel (each ``POST .../<move>/``), and assign."""

    serializer_class = TaskSerializer
    permission_classes = [IsAgent]
    filterset_class = TaskFilterSet
    selector = staticmethod(task_list)
    ordering_fields = ["id", "opened_at", "due_at", "priority", "number", "state"]
    ordering = ["-opened_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = Task.objects.none()  # for the schema; requests use get_queryset

    def get_serializer_class(self):
        if self.action == "create":
            return TaskCreateSerializer
        if self.action in ("update", "partial_update"):
            return TaskUpdateSerializer
        return TaskSerializer

    def create(self, request, *args, **kwargs):
        serializer = TaskCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        number = data.pop("parent")
        parent = ticket_by_number(number)
        kind = ticket_type_of(parent) if parent is not None else None
        if parent is None or kind is None or not kind.visible_to(parent, request.user):
            raise ValidationFailed(
                f"There is no ticket {number} you may see.",
                fields={"parent": ["Give the number of a ticket you may see."]},
            )
        task = task_create(actor=request.user, parent=parent, **data)
        return self._answer(task, status.HTTP_201_CREATED)

    def update_record(self, *, actor, instance, data, expected_version):
        return task_update(actor=actor, task=instance, expected_version=expected_version, **data)

    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        return self._answer(self.get_object())

    # --- moves ------------------------------------------------------------------------------
    def _answer(self, task, code=status.HTTP_200_OK):
        task = self.get_queryset().get(pk=task.pk)
        return Response(TaskSerializer(task).data, status=code)

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["expected_version"] = expected_version(self.request, data)
        return data

    def _move(self, name: str):
        data = self._input(TaskMoveSerializer)
        assert name in {t.name for t in ticket_type("task").workflow.transitions}
        task = tickets.ticket_transition(
            actor=self.request.user, record=self.get_object(), action=name, **data
        )
        return self._answer(task)

    @extend_schema(request=TaskMoveSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start work (the task needs a group)."""
        return self._move("start")

    @extend_schema(request=TaskMoveSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        return self._move("hold")

    @extend_schema(request=TaskMoveSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._move("resume")

    @extend_schema(request=TaskMoveSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Close complete, saying what was done."""
        return self._move("complete")

    @extend_schema(request=TaskMoveSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def incomplete(self, request, pk=None):
        """Close incomplete, saying why."""
        return self._move("incomplete")

    @extend_schema(request=TaskMoveSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._move("cancel")

    @extend_schema(request=TaskAssignSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        data = self._input(TaskAssignSerializer)
        task = tickets.ticket_assign(actor=request.user, record=self.get_object(), **data)
        return self._answer(task)
