"""factory_boy factories for incident tests and for other domains' tests."""

import factory
from django.utils import timezone

from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents.models import Category, Incident, ResolutionCode, State


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("parent", "name")

    name = factory.Sequence(lambda n: f"Category {n}")
    parent = None


class IncidentFactory(factory.django.DjangoModelFactory):
    """A New incident in a group, written directly (tests of services open through them)."""

    class Meta:
        model = Incident
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"INC9{n:06d}")
    short_description = factory.Sequence(lambda n: f"Printer on floor {n} is jammed")
    description = "Paper is stuck and the display shows E42."
    caller = factory.SubFactory(UserFactory)
    channel = "phone"
    impact = 3
    urgency = 3
    priority = 5
    state = State.NEW
    assignment_group = factory.SubFactory(TeamFactory)
    opened_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def watchers(self, create, extracted, **kwargs):
        if create and extracted:
            self.watchers.add(*extracted)


def resolution_code(key: str = "solved_permanently") -> ResolutionCode:
    return ResolutionCode.objects.get(key=key)


def make_ci(name: str, class_key: str = "server", **fields):
    """A CI of a seeded class, written directly (the CMDB's services are tested there)."""
    from opsdesk.cmdb.models import CIClass, ConfigurationItem

    return ConfigurationItem.objects.create(
        name=name, ci_class=CIClass.objects.get(key=class_key), **fields
    )


def depends(source, target, rel_type: str = "depends_on"):
    from opsdesk.cmdb.models import Relationship

    return Relationship.objects.create(source=source, type=rel_type, target=target)
