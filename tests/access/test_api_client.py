"""A client generated from ``/api/schema/`` runs access management end to end, as an
integrator's would: the generated models refuse any answer the schema does not describe."""

import importlib
from datetime import date, timedelta

import pytest
from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.core.services import token_create
from opsdesk.core.testing.factories import UserFactory, admin
from tests.access.factories import application, entitlement, package, sod_rule
from tests.core.test_generated_client import PACKAGE, generated, op  # noqa: F401

pytest.importorskip("openapi_python_client")


def _client(generated, live_server, user):  # noqa: F811
    _, secret = token_create(actor=None, user=user, name="integration")
    return generated.AuthenticatedClient(
        base_url=live_server.url, token=secret, raise_on_unexpected_status=True
    )


def test_access_is_asked_for_granted_reviewed_and_taken_away_through_the_generated_client(
    django_db_serialized_rollback,
    transactional_db,
    live_server,
    generated,  # noqa: F811
):
    models = importlib.import_module(f"{PACKAGE}.models")
    manager = admin(username="access-manager")
    boss = UserFactory(username="boss", roles=[Role.APPROVER])
    riley = UserFactory(username="riley", roles=[Role.REQUESTER], manager=boss)
    payments = entitlement("Approve payments")
    vendors = entitlement("Create vendors")
    sod_rule("Payments vs vendors", [payments], [vendors])
    package("Vendor maintenance", vendors)  # granted without approval, provisioned by hand
    crm = application("CRM")
    # Each client is closed before the live server stops: a kept-alive connection would
    # outlive it.
    with (
        _client(generated, live_server, manager) as as_manager,
        _client(generated, live_server, boss) as as_boss,
        _client(generated, live_server, riley) as as_riley,
    ):
        made = op("api_access_entitlements_create").sync(
            client=as_manager,
            body=models.EntitlementRequest(
                name="CRM admin",
                application=crm.pk,
                owner="boss",
                risk=models.RiskEnum.PRIVILEGED,
            ),
        )
        assert made.risk_label == "Privileged" and made.owner_detail.username == "boss"
        changed = op("api_access_entitlements_partial_update").sync(
            made.id,
            client=as_manager,
            body=models.PatchedEntitlementRequest(max_duration_days=90, version=made.version),
        )
        assert changed.version == made.version + 1 and changed.max_duration_days == 90

        granted = op("api_access_grants_create").sync(
            client=as_manager,
            body=models.GrantCreateRequest(
                holder="riley", entitlement=made.id, source=models.GrantCreateSourceEnum.RULE
            ),
        )
        assert granted.state is models.GrantStateEnum.ACTIVE
        holders = op("api_access_entitlements_holders_list").sync(made.id, client=as_boss)
        assert [g.holder.username for g in holders.results] == ["riley"]

        # Riley checks, then asks; the owner team (here the access manager) adds it by hand.
        (offered,) = op("api_access_packages_list").sync(client=as_riley).results
        checked = op("api_access_packages_check_create").sync(
            offered.slug, client=as_riley, body=models.AccessCheckRequest()
        )
        assert checked.blocked is False and checked.conflicts == []
        asked = op("api_access_packages_request_create").sync(
            offered.slug,
            client=as_riley,
            body=models.AccessOrderRequest(justification="Quarter-end vendor clean-up"),
        )
        assert asked.state is models.AccessRequestStateEnum.PROVISIONING
        steps = op("api_access_provisioning_steps_list").sync(client=as_manager).results
        (step,) = [s for s in steps if s.entitlement.name == "Create vendors"]
        assert step.state_label == "Given to the owner team"
        done = op("api_access_provisioning_steps_done_create").sync(
            step.id, client=as_manager, body=models.ProvisioningNoteRequest(note="Added")
        )
        assert done.state_label == "Done"
        fetched = op("api_access_requests_retrieve").sync(asked.number, client=as_riley)
        assert fetched.state is models.AccessRequestStateEnum.GRANTED
        assert [g.provisioning_label for g in fetched.grants] == ["Provisioned"]
        held = op("api_access_grants_list").sync(
            client=as_riley, holder="riley", held_on=date.today()
        )
        assert sorted(g.entitlement.name for g in held.results) == ["CRM admin", "Create vendors"]

        # A review of privileged access: the boss refuses Riley's CRM admin.
        campaign = op("api_access_campaigns_create").sync(
            client=as_manager,
            body=models.CampaignCreateRequest(
                name="Privileged access Q4",
                deadline=timezone.now() + timedelta(days=7),
                scope_privileged=True,
                stages=[models.ReviewerSourceEnum.MANAGER],
            ),
        )
        assert campaign.state is models.CampaignStateEnum.DRAFT
        started = op("api_access_campaigns_start_create").sync(campaign.id, client=as_manager)
        assert started.items == 1
        (item,) = op("api_access_review_items_list").sync(client=as_boss).results
        decided = op("api_access_review_items_decide_create").sync(
            item.id,
            client=as_boss,
            body=models.DecideRequest(
                decision=models.DecideDecisionEnum.REVOKE, comment="No longer runs the CRM"
            ),
        )
        assert decided.decision_label == "Revoke"
        closed = op("api_access_campaigns_close_create").sync(campaign.id, client=as_manager)
        assert closed.undecided == 0
        (change,) = op("api_access_campaigns_dry_run_list").sync(campaign.id, client=as_manager)
        assert change.grant.id == granted.id
        applied = op("api_access_campaigns_apply_create").sync(campaign.id, client=as_manager)
        assert applied.revoked == 1 and applied.campaign.state_label == "Applied"
        progress = op("api_access_campaigns_progress_list").sync(campaign.id, client=as_manager)
        assert [(p.total, p.decided) for p in progress] == [(1, 1)]

        scanned = op("api_access_violations_scan_create").sync(client=as_manager)
        assert (scanned.found, scanned.resolved) == (0, 0)
        left = op("api_access_people_leave_create").sync(
            "riley", client=as_manager, body=models.AccessReasonRequest(reason="Contract ended")
        )
        assert left.kind_label == "Left" and left.grants_ended == 1
        ended = op("api_access_grants_list").sync(client=as_manager, holder="riley")
        assert {g.state for g in ended.results} == {models.GrantStateEnum.ENDED}
