"""Administrators write approval schemes on a page of their own: the scheme, its stages in
order, refusals per stage, and the stages of a scheme in use kept."""

import pytest
from django.urls import reverse

from opsdesk.approvals.models import ApprovalScheme
from opsdesk.approvals.services import approval_start
from opsdesk.core.testing.factories import UserFactory, admin, agent
from tests.approvals.conftest import make_scheme

pytestmark = pytest.mark.django_db


def _stages(*stages: dict) -> dict:
    data = {
        "stage-TOTAL_FORMS": str(len(stages)),
        "stage-INITIAL_FORMS": "0",
        "stage-MIN_NUM_FORMS": "0",
        "stage-MAX_NUM_FORMS": "10",
    }
    for index, stage in enumerate(stages):
        for key, value in stage.items():
            data[f"stage-{index}-{key}"] = value
    return data


def test_an_administrator_writes_a_two_stage_scheme(client):
    boss = UserFactory(username="cfo", email="cfo@example.com")
    client.force_login(admin())
    assert client.get(reverse("approvals:scheme-new")).status_code == 200
    done = client.post(
        reverse("approvals:scheme-new"),
        {
            "name": "Spend over budget",
            "description": "Purchases above the team's budget",
            "active": "on",
            **_stages(
                {"name": "Line manager", "rule": "any", "from_manager": "on"},
                {
                    "name": "Finance",
                    "rule": "any",
                    "condition": "cost > 1000",
                    "from_user": "cfo",
                    "timeout_hours": "48",
                    "timeout_action": "reject",
                },
            ),
        },
        follow=True,
    )
    assert "“Spend over budget” is saved with 2 stages." in done.content.decode()
    scheme = ApprovalScheme.objects.get(name="Spend over budget")
    stages = list(scheme.stages.order_by("position"))
    assert [s.name for s in stages] == ["Line manager", "Finance"]
    assert stages[0].from_manager and list(stages[1].from_users.all()) == [boss]
    assert stages[1].condition == "cost > 1000" and stages[1].timeout_action == "reject"
    listing = client.get(reverse("approvals:schemes")).content.decode()
    assert "Line manager → Finance" in listing


def test_a_stage_with_nobody_to_ask_is_refused_with_its_number(client):
    client.force_login(admin())
    page = client.post(
        reverse("approvals:scheme-new"),
        {"name": "Nobody", "active": "on", **_stages({"name": "Empty", "rule": "any"})},
    ).content.decode()
    assert "Stage 1: Say where the approvers come from" in page
    assert not ApprovalScheme.objects.filter(name="Nobody").exists()


def test_a_scheme_in_use_keeps_its_stages(client, order, desk_agent):
    scheme = make_scheme({"name": "Manager", "from_manager": True}, name="Laptops")
    approval_start(subject=order, scheme=scheme, answers={}, requested_for=None, actor=desk_agent)
    client.force_login(admin())
    page = client.get(reverse("approvals:scheme-edit", args=[scheme.pk])).content.decode()
    assert "This scheme has been used" in page
    done = client.post(
        reverse("approvals:scheme-edit", args=[scheme.pk]),
        {"name": "Laptops and docks", "active": "on", **_stages()},
        follow=True,
    )
    assert "is saved with 1 stages" in done.content.decode()
    scheme.refresh_from_db()
    assert scheme.name == "Laptops and docks" and scheme.stages.count() == 1


def test_only_administrators_write_schemes(client):
    client.force_login(agent())
    assert client.get(reverse("approvals:schemes")).status_code == 403
    assert client.get(reverse("approvals:scheme-new")).status_code == 403
