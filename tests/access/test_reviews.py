"""Access reviews: nobody reviews their own access, decisions close at the deadline, a dry
run shows what applying ends, and applying revokes what reviewers refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.access import services
from opsdesk.access.models import GrantState, ReviewItem
from opsdesk.access.services import reviews
from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.testing.factories import UserFactory, admin
from tests.access.factories import entitlement

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(db):
    manager = admin(username="access-manager")
    boss = UserFactory(username="boss")
    alex = UserFactory(username="alex", manager=boss)
    jo = UserFactory(username="jo", manager=boss)
    crm = entitlement("CRM admin", risk="privileged")
    grants = {
        who.username: services.grant_create(
            actor=manager, holder=who, entitlement=crm, source="rule"
        )
        for who in (alex, jo, boss)
    }
    return manager, boss, grants


def _campaign(manager, **values):
    values.setdefault("deadline", timezone.now() + timedelta(days=7))
    return reviews.campaign_create(actor=manager, name="Privileged access Q4", **values)


def test_a_campaign_revokes_what_reviewers_refuse(setup):
    manager, boss, grants = setup
    campaign = _campaign(manager, scope_privileged=True)
    assert reviews.campaign_start(actor=manager, campaign=campaign) == 3
    # The boss reviews their reports; their own grant goes to the campaign owner instead.
    assert dict(
        ReviewItem.objects.values_list("grant__holder__username", "reviewer__username")
    ) == {
        "alex": "boss",
        "jo": "boss",
        "boss": "access-manager",
    }
    alex_item = ReviewItem.objects.get(grant=grants["alex"])
    jo_item = ReviewItem.objects.get(grant=grants["jo"])
    reviews.review_decide(actor=boss, item=alex_item, decision="keep")
    reviews.review_decide(actor=boss, item=jo_item, decision="revoke", comment="Moved to sales")
    reviews.campaign_close(actor=manager, campaign=campaign)  # the owner's item: kept by policy
    dry = reviews.campaign_dry_run(campaign)
    assert [(c["grant"].holder.username, c["decision"]) for c in dry] == [("jo", "revoke")]
    done = reviews.campaign_apply(actor=manager, campaign=campaign)
    assert done["revoked"] == 1
    states = {u: g.__class__.objects.get(pk=g.pk).state for u, g in grants.items()}
    assert states == {"alex": GrantState.ACTIVE, "jo": GrantState.ENDED, "boss": GrantState.ACTIVE}


def test_nobody_reviews_their_own_access(setup):
    manager, boss, grants = setup
    campaign = _campaign(manager)
    reviews.campaign_start(actor=manager, campaign=campaign)
    item = ReviewItem.objects.get(grant=grants["alex"])
    with pytest.raises(ValidationFailed) as refused:
        reviews.review_delegate(
            actor=boss, item=item, to=grants["alex"].holder, reason="knows best"
        )
    assert refused.value.fields["to"] == ["Nobody reviews their own access."]


def test_a_decision_after_the_deadline_is_refused(setup):
    manager, boss, grants = setup
    campaign = _campaign(manager)
    reviews.campaign_start(actor=manager, campaign=campaign)
    item = ReviewItem.objects.get(grant=grants["alex"])
    with pytest.raises(TransitionRefused) as refused:
        reviews.review_decide(
            actor=boss, item=item, decision="keep", now=campaign.deadline + timedelta(minutes=1)
        )
    assert "no longer taken" in refused.value.message


def test_only_the_reviewer_decides_and_revoking_needs_a_reason(setup):
    manager, boss, grants = setup
    campaign = _campaign(manager)
    reviews.campaign_start(actor=manager, campaign=campaign)
    item = ReviewItem.objects.get(grant=grants["alex"])
    with pytest.raises(NotPermitted):
        reviews.review_decide(actor=UserFactory(), item=item, decision="keep")
    with pytest.raises(ValidationFailed) as refused:
        reviews.review_decide(actor=boss, item=item, decision="revoke")
    assert "comment" in refused.value.fields


def test_a_keep_at_the_first_stage_asks_the_second(setup):
    manager, boss, grants = setup
    campaign = _campaign(manager, stages=["manager", "owner"])
    reviews.campaign_start(actor=manager, campaign=campaign)
    item = ReviewItem.objects.get(grant=grants["alex"], stage=1)
    reviews.review_decide(actor=boss, item=item, decision="keep")
    second = ReviewItem.objects.get(grant=grants["alex"], stage=2)
    assert second.reviewer == grants["alex"].entitlement.owner


def test_the_no_answer_policy_can_revoke(setup):
    manager, _, _ = setup
    campaign = _campaign(manager, no_answer="revoke")
    reviews.campaign_start(actor=manager, campaign=campaign)
    reviews.campaign_close(actor=manager, campaign=campaign)
    assert reviews.campaign_apply(actor=manager, campaign=campaign)["revoked"] == 3
    assert set(ReviewItem.objects.values_list("by_policy", flat=True)) == {True}
