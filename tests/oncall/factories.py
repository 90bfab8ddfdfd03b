from datetime import UTC, datetime, time

import factory

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.oncall.models import (
    EscalationPolicy,
    EscalationStep,
    Layer,
    LayerParticipant,
    Override,
    Schedule,
    StepTarget,
)

MONDAY_0900 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def staff(**kwargs):
    return UserFactory(roles=[Role.AGENT], **kwargs)


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Rota {n}")
    time_zone = "Europe/London"


class LayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Layer
        skip_postgeneration_save = True

    schedule = factory.SubFactory(ScheduleFactory)
    name = "Weekly"
    priority = 1
    turn = "weekly"
    handoff_time = time(9, 0)
    rotation_start = MONDAY_0900
    time_zone = "Europe/London"

    @factory.post_generation
    def people(self, create, extracted, **kwargs):
        for position, user in enumerate(extracted or []):
            LayerParticipant.objects.create(layer=self, user=user, position=position)


class OverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Override

    schedule = factory.SubFactory(ScheduleFactory)
    user = factory.LazyFunction(staff)
    start = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)
    end = datetime(2025, 1, 7, 18, 0, tzinfo=UTC)


class EscalationPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationPolicy
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Policy {n}")
    repeat = 0

    @factory.post_generation
    def steps(self, create, extracted, **kwargs):
        specs = extracted or [{"target": StepTarget.TEAM_ON_CALL, "delay_minutes": 15}]
        for position, spec in enumerate(specs):
            EscalationStep.objects.create(policy=self, position=position, **spec)
