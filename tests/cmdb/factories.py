import factory

from opsdesk.cmdb.models import CIClass, ConfigurationItem, Relationship
from opsdesk.core.testing.factories import TeamFactory


def ci_class(key: str) -> CIClass:
    """The classes are seeded by a migration; tests use them as they ship."""
    return CIClass.objects.get(key=key)


class CIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    name = factory.Sequence(lambda n: f"srv-{n:04d}")
    ci_class = factory.LazyFunction(lambda: ci_class("server"))
    supporting_team = factory.SubFactory(TeamFactory, name="Server & Storage")


def business_service(name: str, **kwargs) -> ConfigurationItem:
    return CIFactory(name=name, ci_class=ci_class("business_service"), **kwargs)


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Relationship

    source = factory.SubFactory(CIFactory)
    type = "depends_on"
    target = factory.SubFactory(CIFactory)


def link(source, rel_type, target) -> Relationship:
    return RelationshipFactory(source=source, type=rel_type, target=target)
