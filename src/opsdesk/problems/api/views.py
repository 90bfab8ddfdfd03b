"""Problem API: the record through services, its moves and links as actions."""

from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from opsdesk.core.api.base import ServiceViewSet, expected_version
from opsdesk.core.errors import ValidationFailed
from opsdesk.incidents.selectors import incident_list
from opsdesk.problems import selectors, services
from opsdesk.problems.api import serializers as s
from opsdesk.problems.workflow import PROBLEM_WORKFLOW

MOVES = [t.name for t in PROBLEM_WORKFLOW.transitions]


class ProblemViewSet(ServiceViewSet):
    """Problems, for the desk; requesters see none."""

    serializer_class = s.ProblemSerializer
    selector = staticmethod(selectors.problem_list)
    lookup_field = "number"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .prefetch_related("incident_links__incident")
            .annotate(recurrence_count=Count("recurrences", distinct=True))
        )
        state = self.request.query_params.get("state")
        return (qs.filter(state=state) if state else qs).order_by("-opened_at", "-id")

    def get_serializer_class(self):
        return s.ProblemCreateSerializer if self.action == "create" else s.ProblemSerializer

    def _incidents(self, numbers, field):
        numbers = [n.strip().upper() for n in numbers]
        found = {
            i.number: i for i in incident_list(viewer=self.request.user).filter(number__in=numbers)
        }
        missing = [n for n in numbers if n not in found]
        if missing:
            raise ValidationFailed(
                "Some incidents were not found.",
                fields={field: [f"No such incident: {', '.join(missing)}."]},
            )
        return [found[n] for n in numbers]

    def create_record(self, *, actor, data):
        data.pop("version", None)
        incidents = self._incidents(data.pop("incident_numbers", []), "incident_numbers")
        return services.problem_create(actor=actor, incidents=incidents, **data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        body = s.ProblemSerializer(self.get_queryset().get(pk=serializer.instance.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    def update_record(self, *, actor, instance, data, expected_version):
        return services.problem_update(
            actor=actor, problem=instance, expected_version=expected_version, **data
        )

    def _answer(self, problem):
        return Response(s.ProblemSerializer(self.get_queryset().get(pk=problem.pk)).data)

    @extend_schema(request=s.LinkInputSerializer, responses=s.ProblemSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, number=None):
        problem = self.get_object()
        given = s.LinkInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.problem_link_incidents(
            actor=request.user,
            problem=problem,
            incidents=self._incidents(given.validated_data["incidents"], "incidents"),
            reason=given.validated_data["reason"],
        )
        return self._answer(problem)

    @extend_schema(request=None, responses=s.ProblemSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, number=None):
        """Publish the known error to the knowledge base (again: update its article)."""
        problem = services.known_error_publish(actor=request.user, problem=self.get_object())
        return self._answer(problem)


def _move_action(name: str):
    @extend_schema(request=s.MoveSerializer, responses=s.ProblemSerializer)
    def move(self, request, number=None):
        problem = self.get_object()
        given = s.MoveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        moved = services.problem_transition(
            actor=request.user,
            problem=problem,
            action=name,
            expected_version=expected_version(request, data),
            reason=data["reason"],
            review_on=data["review_on"],
            resolve_incidents=data["resolve_incidents"],
            message=data["message"],
        )
        return self._answer(moved)

    move.__name__ = name
    move.__doc__ = f"The problem's “{name}” move."
    return action(detail=True, methods=["post"], url_path=name, url_name=name)(move)


for _name in MOVES:
    setattr(ProblemViewSet, _name, _move_action(_name))
