"""factory_boy factories for request fulfilment tests and for other domains' tests."""

import factory

from opsdesk.core.testing.factories import TeamFactory
from opsdesk.service_requests.models import CatalogCategory, CatalogItem, PlanStep


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogCategory
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Hardware {n}")
    slug = factory.Sequence(lambda n: f"hardware-{n}")


class CatalogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogItem

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Docking station {n}")
    slug = factory.Sequence(lambda n: f"docking-station-{n}")
    short_description = "A USB-C dock with two screens' worth of ports."
    owner_team = factory.SubFactory(TeamFactory)


class PlanStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanStep
        skip_postgeneration_save = True

    item = factory.SubFactory(CatalogItemFactory)
    name = factory.Sequence(lambda n: f"Step {n}")
    team = factory.SubFactory(TeamFactory)
    order = factory.Sequence(lambda n: n * 10)

    @factory.post_generation
    def after(self, create, extracted, **kwargs):
        if create and extracted:
            self.after.set(extracted)


def manager_approval(name: str = "Line manager", **stage):
    """An approval scheme of one stage: the manager of the person the item is for."""
    from opsdesk.approvals.models import ApprovalScheme, ApprovalStage

    scheme = ApprovalScheme.objects.create(name=name)
    ApprovalStage.objects.create(
        scheme=scheme, position=1, name=name, rule="any", from_manager=True, **stage
    )
    return scheme


def decide(item, decision: str, comment: str = "", *, via: str = "inbox"):
    """The item's pending approver decides, as from their inbox."""
    from django.contrib.contenttypes.models import ContentType

    from opsdesk.approvals.models import ApprovalRequest
    from opsdesk.approvals.services import approval_decide

    pending = ApprovalRequest.objects.get(
        run__approval__subject_type=ContentType.objects.get_for_model(item),
        run__approval__subject_id=item.pk,
        state="pending",
    )
    return approval_decide(
        request=pending, decision=decision, comment=comment, actor=pending.approver, via=via
    )
