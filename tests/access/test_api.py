"""The access management API: who sees what (requester, owner, reviewer, desk, access manager),
asking for access with its conflicts shown first, grants and their revocation, provisioning by
hand, reviews from start to apply, conflicting duties and leavers; refusals and bad input."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.access.models import (
    AccessRequest,
    AccessRequestState,
    CampaignState,
    Entitlement,
    Grant,
    GrantSource,
    GrantState,
    Provisioning,
    ProvisioningStep,
    ReviewCampaign,
    ReviewItem,
    Risk,
    SodViolation,
    StepAction,
    StepState,
)
from opsdesk.access.services import grant_create
from opsdesk.access.testing import make_application, make_entitlement, make_grant, make_target
from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite, assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory, admin
from tests.access.factories import entitlement, manager_then_owners, package, sod_rule

pytestmark = pytest.mark.django_db

API = "/api/access"


def later(**delta):
    return (timezone.now() + timedelta(**delta)).isoformat()


@pytest.fixture
def manager(db):
    """An access manager: configures access, grants directly, runs reviews."""
    return admin(username="access-manager")


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", roles=[Role.APPROVER])


@pytest.fixture
def riley(boss):
    return UserFactory(username="riley", roles=[Role.REQUESTER], manager=boss, department="Finance")


@pytest.fixture
def outsider(db):
    return UserFactory(username="sam", roles=[Role.REQUESTER], department="Sales")


@pytest.fixture
def desk(db):
    return UserFactory(username="desk", roles=[Role.AGENT])


@pytest.fixture
def payroll(db):
    return entitlement("Payroll administrator", risk=Risk.PRIVILEGED, max_duration_days=30)


@pytest.fixture
def payroll_package(payroll):
    return package("Payroll admin", payroll, scheme=manager_then_owners())


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


_bodies = itertools.count(1)


# --- entitlements -------------------------------------------------------------------------------
class TestEntitlementAPI(APICrudSuite):
    basename = "access-entitlement"
    update_data = {"description": "Runs the monthly payroll", "needs_justification": True}
    invalid_data = {"risk": "extreme"}
    reader_roles = [Role.AGENT, Role.ADMINISTRATOR]
    writer_roles = [Role.ADMINISTRATOR, Role.CATALOG_MANAGER]
    outsider_roles = [Role.REQUESTER, Role.APPROVER]

    def make(self):
        return make_entitlement()

    def make_for_filters(self):
        make_entitlement(kind="role", risk=Risk.HIGH, active=False)  # something to drop
        return make_entitlement(
            target=make_target(), external_id="cn=payroll,ou=groups", risk=Risk.MEDIUM
        )

    def create_body(self):
        # Called once per role by some tests: each body has its own application and people.
        n = next(_bodies)
        return {
            "name": "Payroll reader",
            "application": make_application(f"Payroll {n}").pk,
            "owner": UserFactory(username=f"pat.owner{n}").username,
            "owner_team": TeamFactory(name=f"Payroll owners {n}").name,
            "risk": "high",
            "max_duration_days": 90,
        }


def test_a_created_entitlement_answers_with_labels_and_names(manager):
    body = TestEntitlementAPI().create_body()
    made = client_for(manager).post(f"{API}/entitlements/", body, format="json")
    assert made.status_code == 201, made.content
    data = made.json()
    assert (data["risk"], data["risk_label"], data["kind_label"]) == ("high", "High", "Group")
    assert data["owner"] == body["owner"] and data["owner_detail"]["username"] == body["owner"]
    assert data["application_name"].startswith("Payroll") and data["holders"] == 0
    assert AuditEntry.objects.filter(action="access.entitlement_created").exists()


@pytest.mark.parametrize(
    "change,field",
    [
        ({"owner": "nobody"}, "owner"),
        ({"application": 10**6}, "application"),
        ({"target": "No such directory"}, "target"),
        ({"max_duration_days": 0}, "max_duration_days"),
        ({"opsdesk_role": "wizard"}, "opsdesk_role"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_entitlements_get_field_messages_and_write_nothing(manager, change, field):
    body = {**TestEntitlementAPI().create_body(), **change}
    refused = client_for(manager).post(f"{API}/entitlements/", body, format="json")
    assert_error_shape(refused, 400, field)
    assert not Entitlement.objects.exists()


def test_a_connected_entitlement_must_name_its_group(manager):
    target = make_target(name="Corporate LDAP")
    body = {**TestEntitlementAPI().create_body(), "target": "Corporate LDAP"}
    refused = client_for(manager).post(f"{API}/entitlements/", body, format="json")
    assert_error_shape(refused, 400, "external_id")
    body["external_id"] = "cn=payroll,ou=groups,dc=example,dc=com"
    made = client_for(manager).post(f"{API}/entitlements/", body, format="json")
    assert made.status_code == 201 and made.json()["target"] == target.name


def test_the_same_name_twice_on_one_application_is_refused(manager, payroll):
    body = {
        "name": payroll.name,
        "application": payroll.application_id,
        "owner": payroll.owner.username,
    }
    refused = client_for(manager).post(f"{API}/entitlements/", body, format="json")
    error = assert_error_shape(refused, 400, "name")
    assert error["fields"]["name"] == [
        "Payroll administrator app already has an entitlement called Payroll administrator."
    ]
    assert Entitlement.objects.count() == 1


def test_an_owner_sees_and_reads_only_their_entitlements(payroll):
    other = entitlement("CRM user")
    owner = client_for(payroll.owner)
    assert ids(owner.get(f"{API}/entitlements/")) == [payroll.pk]
    assert owner.get(f"{API}/entitlements/{other.pk}/").status_code == 404
    # Owning is not managing: the owner may not change it.
    changed = owner.patch(f"{API}/entitlements/{payroll.pk}/", {"risk": "low"}, format="json")
    assert_error_shape(changed, 403)


def test_holders_are_for_the_owner_and_access_managers(payroll, riley, outsider, desk, manager):
    held = make_grant(entitlement=payroll, holder=riley)
    make_grant(entitlement=payroll, holder=outsider, state=GrantState.ENDED)
    url = f"{API}/entitlements/{payroll.pk}/holders/"
    for who in (payroll.owner, manager):
        response = client_for(who).get(url)
        assert ids(response) == [held.pk]
        assert response.json()["results"][0]["holder"]["username"] == "riley"
    # The desk sees the entitlement, not who holds it from here; others not even that.
    assert_error_shape(client_for(desk).get(url), 403)
    assert client_for(riley).get(url).status_code == 404


# --- packages, checking and asking -------------------------------------------------------------
def test_requesters_list_what_they_may_ask_for(riley, payroll_package):
    hr_only = package("HR records", entitlement("HR records"), audience_departments=["HR"])
    client = client_for(riley)
    listed = client.get(f"{API}/packages/").json()["results"]
    assert [p["slug"] for p in listed] == ["payroll-admin"]
    assert listed[0]["entitlements"][0]["risk_label"] == "Privileged"
    assert listed[0]["approval_scheme"] == "Manager, then owner"
    assert client.get(f"{API}/packages/payroll-admin/").status_code == 200
    assert client.get(f"{API}/packages/{hr_only.slug}/").status_code == 404


@pytest.fixture
def vendor_rule(riley):
    payments = entitlement("Approve payments")
    vendors = entitlement("Create vendors")
    make_grant(entitlement=payments, holder=riley)
    sod_rule(
        "Payments vs vendors",
        [payments],
        [vendors],
        description="Nobody creates the vendor they pay.",
    )
    return package("Vendor maintenance", vendors)


def test_check_shows_a_blocking_conflict_before_asking(riley, vendor_rule):
    checked = client_for(riley).post(f"{API}/packages/vendor-maintenance/check/", {}, format="json")
    assert checked.status_code == 200, checked.content
    body = checked.json()
    assert body["blocked"] is True
    (conflict,) = body["conflicts"]
    assert conflict["rule"] == "Payments vs vendors" and conflict["blocks"] is True
    assert conflict["action_label"] == "Block the request"
    assert conflict["entitlements"] == ["Approve payments", "Create vendors"]
    assert "Nobody creates the vendor they pay." in conflict["message"]
    # Asking anyway is refused with the same reason, and nothing is written.
    asked = client_for(riley).post(
        f"{API}/packages/vendor-maintenance/request/", {"justification": "x"}, format="json"
    )
    error = assert_error_shape(asked, 400, "__all__")
    assert "Payments vs vendors" in error["message"]
    assert not AccessRequest.objects.exists()


def test_check_without_conflicts_and_outside_the_window(riley, vendor_rule):
    # Access that starts after what is held ends does not conflict with it.
    Grant.objects.filter(holder=riley).update(valid_to=timezone.now() + timedelta(days=1))
    body = {"valid_from": later(days=2), "valid_to": later(days=5)}
    checked = client_for(riley).post(
        f"{API}/packages/vendor-maintenance/check/", body, format="json"
    )
    assert checked.json() == {"conflicts": [], "blocked": False}


def test_a_conflict_that_asks_an_extra_approval_needs_the_exception_stated(riley):
    payments = entitlement("Approve payments")
    vendors = entitlement("Create vendors")
    make_grant(entitlement=payments, holder=riley)
    sod_rule("Payments vs vendors", [payments], [vendors], action="approve")
    package("Vendor maintenance", vendors, scheme=manager_then_owners())
    url = f"{API}/packages/vendor-maintenance/"
    client = client_for(riley)
    checked = client.post(f"{url}check/", {}, format="json").json()
    assert checked["blocked"] is False
    assert (
        checked["conflicts"][0]["action_label"] == "Ask an extra approval with a stated exception"
    )
    refused = client.post(f"{url}request/", {"justification": "x"}, format="json")
    assert_error_shape(refused, 400, "sod_exception")
    assert not AccessRequest.objects.exists()
    asked = client.post(
        f"{url}request/",
        {
            "justification": "Covering the vendor desk",
            "sod_exception": "Two-person check on every payment this month",
            "sod_exception_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
        format="json",
    )
    assert asked.status_code == 201, asked.content
    (conflict,) = asked.json()["sod_conflicts"]
    assert conflict["rule"] == "Payments vs vendors" and conflict["action"] == "approve"
    assert conflict["action_label"] == "Ask an extra approval with a stated exception"
    assert asked.json()["sod_exception"] == "Two-person check on every payment this month"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"valid_from": "soon"}, "valid_from"),
        ({"requested_for": "nobody"}, "requested_for"),
        ({"valid_from": later(days=3), "valid_to": later(days=1)}, "valid_to"),
    ],
)
def test_check_with_bad_input_gets_field_messages(riley, vendor_rule, body, field):
    checked = client_for(riley).post(
        f"{API}/packages/vendor-maintenance/check/", body, format="json"
    )
    assert_error_shape(checked, 400, field)


def test_nobody_checks_what_a_stranger_holds(outsider, riley, vendor_rule, boss):
    body = {"requested_for": "riley"}
    url = f"{API}/packages/vendor-maintenance/check/"
    assert_error_shape(client_for(outsider).post(url, body, format="json"), 403)
    # Riley's manager may, as they may ask for Riley.
    assert client_for(boss).post(url, body, format="json").json()["blocked"] is True


def test_asking_opens_an_access_request_awaiting_approval(riley, outsider, payroll_package):
    asked = client_for(riley).post(
        f"{API}/packages/payroll-admin/request/",
        {"justification": "Year-end close", "valid_to": later(days=10)},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    body = asked.json()
    assert body["number"].startswith("ACC")
    assert (body["state"], body["state_label"]) == ("awaiting_approval", "Awaiting approval")
    assert body["package"] == "payroll-admin" and body["requested_for"]["username"] == "riley"
    assert ids(client_for(riley).get(f"{API}/requests/")) == [body["id"]]
    assert client_for(riley).get(f"{API}/requests/{body['number'].lower()}/").status_code == 200
    assert ids(client_for(outsider).get(f"{API}/requests/")) == []
    assert client_for(outsider).get(f"{API}/requests/{body['number']}/").status_code == 404


def test_a_manager_asks_for_their_report(boss, riley, payroll_package):
    asked = client_for(boss).post(
        f"{API}/packages/payroll-admin/request/",
        {"requested_for": "riley", "justification": "Covering for Jo"},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    assert asked.json()["requested_for"]["username"] == "riley"
    assert asked.json()["caller"]["username"] == "boss"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"justification": "x", "valid_to": later(days=90)}, "valid_to"),
        ({"valid_to": later(days=5)}, "justification"),
        ({"justification": "x", "requested_for": "nobody"}, "requested_for"),
        ({"justification": "x", "answers": "not a dict"}, "answers"),
        ({"justification": "x" * 4001}, "justification"),
    ],
)
def test_bad_requests_get_field_messages_and_write_nothing(riley, payroll, body, field):
    payroll.needs_justification = True
    payroll.save()
    package("Payroll admin", payroll, scheme=manager_then_owners())
    asked = client_for(riley).post(f"{API}/packages/payroll-admin/request/", body, format="json")
    assert_error_shape(asked, 400, field)
    assert not AccessRequest.objects.exists()


def test_asking_for_what_one_may_not_have_is_refused(riley, outsider):
    package("HR records", entitlement("HR records"), audience_departments=["HR"])
    url = f"{API}/packages/hr-records/request/"
    assert_error_shape(client_for(riley).post(url, {}, format="json"), 403)
    assert_error_shape(
        client_for(outsider).post(url, {"requested_for": "riley"}, format="json"), 403
    )
    assert client_for(riley).post(f"{API}/packages/nothing/request/", {}).status_code == 404
    assert not AccessRequest.objects.exists()


# --- requests and their cancelling -------------------------------------------------------------
def _asked(riley, payroll_package) -> AccessRequest:
    from opsdesk.access.services import access_request_submit

    return access_request_submit(actor=riley, package=payroll_package, justification="x")


# The request's moves a person makes through the API: cancel, from each state.
CANCEL_FROM = [
    (AccessRequestState.SUBMITTED, True),
    (AccessRequestState.AWAITING_APPROVAL, True),
    (AccessRequestState.PROVISIONING, True),
    (AccessRequestState.GRANTED, False),
    (AccessRequestState.REJECTED, False),
    (AccessRequestState.CANCELLED, False),
]


@pytest.mark.parametrize("state,allowed", CANCEL_FROM)
def test_cancel_from_each_state(riley, payroll_package, state, allowed):
    req = _asked(riley, payroll_package)
    AccessRequest.objects.filter(pk=req.pk).update(state=state)
    answer = client_for(riley).post(
        f"{API}/requests/{req.number}/cancel/", {"reason": "Not needed"}, format="json"
    )
    if allowed:
        assert answer.status_code == 200, answer.content
        assert (answer.json()["state"], answer.json()["state_label"]) == (
            "cancelled",
            "Cancelled",
        )
    else:
        error = assert_error_shape(answer, 400)
        assert error["code"] == "transition_refused"
        req.refresh_from_db()
        assert req.state == state


def test_cancel_needs_a_reason_and_is_the_requesters(riley, outsider, desk, payroll_package):
    req = _asked(riley, payroll_package)
    url = f"{API}/requests/{req.number}/cancel/"
    assert_error_shape(client_for(riley).post(url, {}, format="json"), 400, "reason")
    assert client_for(outsider).post(url, {"reason": "x"}, format="json").status_code == 404
    req.refresh_from_db()
    assert req.state == AccessRequestState.AWAITING_APPROVAL
    # Privileged requests are confidential: only their people and the owner team's see them.
    assert client_for(desk).get(f"{API}/requests/{req.number}/").status_code == 404


def test_requests_filter_by_state(riley, payroll_package):
    req = _asked(riley, payroll_package)
    client = client_for(riley)
    assert ids(client.get(f"{API}/requests/", {"state": "awaiting_approval,granted"})) == [req.pk]
    assert ids(client.get(f"{API}/requests/", {"state": "granted"})) == []
    assert_error_shape(client.get(f"{API}/requests/", {"state": "lost"}), 400, "state")


# --- grants -------------------------------------------------------------------------------------
@pytest.fixture
def held(payroll, riley, outsider):
    """Riley holds payroll and a CRM licence; Sam holds CRM."""
    crm = entitlement("CRM licence", risk=Risk.LOW)
    return {
        "riley-payroll": make_grant(entitlement=payroll, holder=riley),
        "riley-crm": make_grant(entitlement=crm, holder=riley, source=GrantSource.BIRTHRIGHT),
        "sam-crm": make_grant(entitlement=crm, holder=outsider),
    }


def test_who_sees_which_grants(held, riley, outsider, boss, payroll, desk):
    everything = sorted(g.pk for g in held.values())
    seen = {
        "holder": ids(client_for(riley).get(f"{API}/grants/")),
        "other requester": ids(client_for(outsider).get(f"{API}/grants/")),
        "holder's manager": ids(client_for(boss).get(f"{API}/grants/")),
        "payroll's owner": ids(client_for(payroll.owner).get(f"{API}/grants/")),
        "desk": ids(client_for(desk).get(f"{API}/grants/")),
    }
    assert {k: sorted(v) for k, v in seen.items()} == {
        "holder": sorted([held["riley-payroll"].pk, held["riley-crm"].pk]),
        "other requester": [held["sam-crm"].pk],
        "holder's manager": sorted([held["riley-payroll"].pk, held["riley-crm"].pk]),
        "payroll's owner": [held["riley-payroll"].pk],
        "desk": everything,
    }
    assert client_for(outsider).get(f"{API}/grants/{held['riley-crm'].pk}/").status_code == 404
    detail = client_for(riley).get(f"{API}/grants/{held['riley-crm'].pk}/").json()
    assert (detail["source"], detail["source_label"]) == ("birthright", "Birthright")
    assert (detail["state"], detail["state_label"]) == ("active", "Active")
    assert detail["provisioning_label"] == "Not yet"


def test_grants_filter_as_reports_need(held, desk, riley):
    now = timezone.now()
    Grant.objects.filter(pk=held["riley-payroll"].pk).update(valid_to=now + timedelta(days=5))
    # Sam's CRM licence ended two days ago; on that day before, Sam held it.
    Grant.objects.filter(pk=held["sam-crm"].pk).update(
        valid_from=now - timedelta(days=30),
        started_at=now - timedelta(days=30),
        state=GrantState.ENDED,
        ended_at=now - timedelta(days=2),
    )
    client = client_for(desk)

    def found(**params):
        return sorted(ids(client.get(f"{API}/grants/", params)))

    riley_ids = sorted([held["riley-payroll"].pk, held["riley-crm"].pk])
    assert found(holder="riley") == riley_ids
    assert found(entitlement=held["sam-crm"].entitlement_id) == sorted(
        [held["riley-crm"].pk, held["sam-crm"].pk]
    )
    assert found(state="ended") == [held["sam-crm"].pk]
    assert found(state="active", source="birthright") == [held["riley-crm"].pk]
    assert found(risk="privileged") == [held["riley-payroll"].pk]
    assert found(expiring_before=(now + timedelta(days=7)).isoformat()) == [
        held["riley-payroll"].pk
    ]
    assert found(expiring_before=(now + timedelta(days=1)).isoformat()) == []
    three_days_ago = (timezone.localdate() - timedelta(days=3)).isoformat()
    assert found(holder="sam", held_on=three_days_ago) == [held["sam-crm"].pk]
    assert found(holder="sam", held_on=timezone.localdate().isoformat()) == []
    for bad in ({"held_on": "last week"}, {"expiring_before": "soon"}, {"risk": "extreme"}):
        assert_error_shape(client.get(f"{API}/grants/", bad), 400, next(iter(bad)))


# A grant's revocation from each state: held grants end, an ended one stays as it was.
REVOKE_FROM = [
    (GrantState.SCHEDULED, GrantState.ENDED),
    (GrantState.ACTIVE, GrantState.ENDED),
    (GrantState.ENDED, GrantState.ENDED),
]


@pytest.mark.parametrize("state,after", REVOKE_FROM)
def test_revoke_from_each_state(payroll, riley, state, after):
    grant = make_grant(entitlement=payroll, holder=riley, state=state)
    answer = client_for(payroll.owner).post(
        f"{API}/grants/{grant.pk}/revoke/", {"reason": "Left the payroll team"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == after
    if state != GrantState.ENDED:
        assert answer.json()["end_reason_label"] == "Revoked"
        assert answer.json()["ended_by"]["username"] == payroll.owner.username
    else:
        assert answer.json()["end_reason"] == ""  # revoking twice does nothing twice


def test_revoking_twice_ends_it_once(payroll, riley):
    grant = make_grant(entitlement=payroll, holder=riley)
    owner = client_for(payroll.owner)
    for _ in range(2):
        answer = owner.post(f"{API}/grants/{grant.pk}/revoke/", {"reason": "x"}, format="json")
        assert answer.status_code == 200 and answer.json()["state"] == "ended"
    assert AuditEntry.objects.filter(action="access.ended", object_id=str(grant.pk)).count() == 1


def test_revoking_is_for_the_owner_and_access_managers(payroll, riley, boss):
    grant = make_grant(entitlement=payroll, holder=riley)
    url = f"{API}/grants/{grant.pk}/revoke/"
    # The holder and their manager see the grant but may not take it away.
    for who in (riley, boss):
        assert_error_shape(client_for(who).post(url, {"reason": "x"}, format="json"), 403)
    assert_error_shape(client_for(payroll.owner).post(url, {}, format="json"), 400, "reason")
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE


def test_access_managers_grant_directly(manager, payroll, riley):
    answer = client_for(manager).post(
        f"{API}/grants/",
        {
            "holder": "riley",
            "entitlement": payroll.pk,
            "source": "migration",
            "already_provisioned": True,
            "reason": "Imported from the directory",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["source_label"], body["state"]) == ("Migration", "active")
    assert body["provisioning"] == "provisioned"
    assert body["granted_by"]["username"] == manager.username


@pytest.mark.parametrize(
    "change,field",
    [
        ({"source": "request"}, "source"),
        ({"holder": "nobody"}, "holder"),
        ({"entitlement": 10**6}, "entitlement"),
        ({"valid_from": later(days=2), "valid_to": later(days=1)}, "valid_to"),
        ({"valid_from": "tomorrow"}, "valid_from"),
    ],
)
def test_bad_direct_grants_get_field_messages(manager, payroll, riley, change, field):
    body = {"holder": "riley", "entitlement": payroll.pk, "source": "rule", **change}
    answer = client_for(manager).post(f"{API}/grants/", body, format="json")
    assert_error_shape(answer, 400, field)
    assert not Grant.objects.exists()


def test_a_blocking_rule_refuses_a_direct_grant(manager, riley, vendor_rule):
    vendors = vendor_rule.entitlements.get()
    answer = client_for(manager).post(
        f"{API}/grants/",
        {"holder": "riley", "entitlement": vendors.pk, "source": "rule"},
        format="json",
    )
    error = assert_error_shape(answer, 400, "entitlement")
    assert "Payments vs vendors" in error["message"]
    assert not Grant.objects.filter(entitlement=vendors).exists()


def test_only_access_managers_grant_directly(desk, payroll, riley):
    for who in (desk, payroll.owner, riley):
        answer = client_for(who).post(
            f"{API}/grants/",
            {"holder": "riley", "entitlement": payroll.pk, "source": "rule"},
            format="json",
        )
        assert_error_shape(answer, 403)
    assert not Grant.objects.exists()


# --- provisioning -------------------------------------------------------------------------------
@pytest.fixture
def by_hand(manager, payroll, riley):
    """A grant with no directory: its owner team adds it by hand."""
    grant = grant_create(actor=manager, holder=riley, entitlement=payroll, source="rule")
    return ProvisioningStep.objects.get(grant=grant)


def test_steps_are_the_desks(by_hand, riley, desk):
    assert_error_shape(client_for(riley).get(f"{API}/provisioning-steps/"), 403)
    listed = client_for(desk).get(f"{API}/provisioning-steps/", {"state": "manual"})
    assert ids(listed) == [by_hand.pk]
    row = listed.json()["results"][0]
    assert (row["state_label"], row["action_label"]) == (
        "Given to the owner team",
        "Add to the group",
    )
    assert row["target"] is None and row["entitlement"]["name"] == "Payroll administrator"


def test_the_owner_team_marks_a_manual_step_done(by_hand, payroll, desk):
    url = f"{API}/provisioning-steps/{by_hand.pk}/done/"
    # An agent outside the owner team may not.
    assert_error_shape(client_for(desk).post(url, {}, format="json"), 403)
    payroll.owner_team.members.add(desk)
    done = client_for(desk).post(url, {"note": "Added in the payroll app"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "done" and done.json()["done_by"]["username"] == "desk"
    assert Grant.objects.get(pk=by_hand.grant_id).provisioning == Provisioning.PROVISIONED
    again = client_for(desk).post(url, {}, format="json")
    assert assert_error_shape(again, 400)["code"] == "transition_refused"


# Retrying, from each state of a step: only a failed one (for good, or retrying) goes again.
RETRY_FROM = [
    (StepState.FAILED, True),
    (StepState.RETRYING, True),
    (StepState.PENDING, False),
    (StepState.DONE, False),
    (StepState.MANUAL, False),
    (StepState.CANCELLED, False),
]


@pytest.mark.parametrize("state,allowed", RETRY_FROM)
def test_retry_from_each_state(manager, riley, state, allowed):
    step = ProvisioningStep.objects.create(
        person=riley,
        target=make_target(),
        action=StepAction.ADD,
        state=state,
        attempts=3,
        last_error="Connection refused",
        next_attempt_at=timezone.now() + timedelta(hours=2),
        created_at=timezone.now(),
    )
    answer = client_for(manager).post(f"{API}/provisioning-steps/{step.pk}/retry/")
    step.refresh_from_db()
    if allowed:
        assert answer.status_code == 200, answer.content
        assert answer.json()["state"] == "pending" and step.next_attempt_at <= timezone.now()
    else:
        assert assert_error_shape(answer, 400)["code"] == "transition_refused"
        assert step.state == state


def test_only_access_managers_retry(by_hand, desk):
    ProvisioningStep.objects.filter(pk=by_hand.pk).update(state=StepState.FAILED)
    answer = client_for(desk).post(f"{API}/provisioning-steps/{by_hand.pk}/retry/")
    assert_error_shape(answer, 403)


# --- reviews ------------------------------------------------------------------------------------
@pytest.fixture
def review(manager, boss):
    """Alex and Jo report to the boss and hold CRM admin; the boss holds it too."""
    alex = UserFactory(username="alex", manager=boss)
    jo = UserFactory(username="jo", manager=boss)
    crm = entitlement("CRM admin", risk="privileged")
    grants = {
        who.username: grant_create(actor=manager, holder=who, entitlement=crm, source="rule")
        for who in (alex, jo, boss)
    }
    return grants


def _campaign_body(**values):
    return {
        "name": "Privileged access Q4",
        "deadline": later(days=7),
        "scope_privileged": True,
        **values,
    }


def _started(manager) -> int:
    client = client_for(manager)
    made = client.post(f"{API}/campaigns/", _campaign_body(), format="json")
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    started = client.post(f"{API}/campaigns/{pk}/start/")
    assert started.status_code == 200, started.content
    return pk


def test_a_campaign_from_start_to_apply(manager, boss, review):
    client = client_for(manager)
    made = client.post(f"{API}/campaigns/", _campaign_body(stages=["manager"]), format="json")
    assert made.status_code == 201, made.content
    campaign = made.json()
    assert (campaign["state"], campaign["state_label"]) == ("draft", "Draft")
    assert campaign["stage_labels"] == ["The holder's manager"]
    assert campaign["no_answer_label"] == "Keep the access"
    pk = campaign["id"]

    started = client.post(f"{API}/campaigns/{pk}/start/").json()
    assert started["items"] == 3 and started["campaign"]["state_label"] == "Under way"

    # The boss sees their own items by default: their reports', never their own access.
    mine = client_for(boss).get(f"{API}/review-items/").json()["results"]
    assert sorted(i["grant"]["holder"]["username"] for i in mine) == ["alex", "jo"]
    by_holder = {i["grant"]["holder"]["username"]: i["id"] for i in mine}
    kept = client_for(boss).post(
        f"{API}/review-items/{by_holder['alex']}/decide/", {"decision": "keep"}, format="json"
    )
    assert kept.status_code == 200, kept.content
    assert (kept.json()["decision"], kept.json()["decision_label"]) == ("keep", "Keep")
    revoked = client_for(boss).post(
        f"{API}/review-items/{by_holder['jo']}/decide/",
        {"decision": "revoke", "comment": "Moved to sales"},
        format="json",
    )
    assert revoked.status_code == 200, revoked.content

    progress = client.get(f"{API}/campaigns/{pk}/progress/").json()
    assert {row["reviewer"]: (row["total"], row["decided"]) for row in progress} == {
        boss.display_name: (2, 2),
        manager.display_name: (1, 0),
    }
    closed = client.post(f"{API}/campaigns/{pk}/close/").json()
    assert closed["undecided"] == 1 and closed["campaign"]["state"] == "closed"

    dry = client.get(f"{API}/campaigns/{pk}/dry-run/")
    assert dry.status_code == 200, dry.content
    assert [(c["grant"]["holder"]["username"], c["decision_label"]) for c in dry.json()] == [
        ("jo", "Revoke")
    ]
    assert Grant.objects.get(pk=review["jo"].pk).state == GrantState.ACTIVE  # a dry run

    applied = client.post(f"{API}/campaigns/{pk}/apply/").json()
    assert (applied["revoked"], applied["shortened"]) == (1, 0)
    assert applied["campaign"]["state_label"] == "Applied"
    assert applied["batch"].startswith("review-")
    states = {u: Grant.objects.get(pk=g.pk).state for u, g in review.items()}
    assert states == {"alex": "active", "jo": "ended", "boss": "active"}


# The campaign's moves from each state: which of start, close and apply are allowed.
CAMPAIGN_MOVES = [
    (CampaignState.DRAFT, {"start": True, "close": False, "apply": False}),
    (CampaignState.RUNNING, {"start": False, "close": True, "apply": False}),
    (CampaignState.CLOSED, {"start": False, "close": False, "apply": True}),
    (CampaignState.APPLIED, {"start": False, "close": False, "apply": False}),
]


@pytest.mark.parametrize("state,moves", CAMPAIGN_MOVES)
def test_campaign_moves_from_each_state(manager, review, state, moves):
    for move, allowed in moves.items():
        campaign = ReviewCampaign.objects.create(
            name=f"{state} {move}",
            owner=manager,
            deadline=timezone.now() + timedelta(days=3),
            stages=["owner"],
            state=state,
        )
        answer = client_for(manager).post(f"{API}/campaigns/{campaign.pk}/{move}/")
        if allowed:
            assert answer.status_code == 200, (move, answer.content)
            assert answer.json()["campaign"]["state"] != state, move
        else:
            assert assert_error_shape(answer, 400)["code"] == "transition_refused", move
            campaign.refresh_from_db()
            assert campaign.state == state, move


@pytest.mark.parametrize(
    "change,field",
    [
        ({"deadline": later(days=-1)}, "deadline"),
        ({"deadline": "next week"}, "deadline"),
        ({"stages": ["auditor"]}, "stages.0"),
        ({"stages": []}, "stages"),
        ({"stages": ["manager", "owner", "manager", "owner"]}, "stages"),
        ({"stages": ["named"]}, "named_reviewers"),
        ({"named_reviewers": ["nobody"]}, "named_reviewers"),
        ({"no_answer": "shrug"}, "no_answer"),
        ({"name": "x" * 151}, "name"),
        ({"scope_packages": ["no-such-package"]}, "scope_packages"),
    ],
)
def test_bad_campaigns_get_field_messages(manager, change, field):
    answer = client_for(manager).post(f"{API}/campaigns/", _campaign_body(**change), format="json")
    assert_error_shape(answer, 400, field)
    assert not ReviewCampaign.objects.exists()


def test_campaigns_are_run_by_access_managers(manager, boss, review, desk):
    pk = _started(manager)
    for who in (boss, desk):
        client = client_for(who)
        assert_error_shape(client.post(f"{API}/campaigns/", _campaign_body(), format="json"), 403)
        assert ids(client.get(f"{API}/campaigns/")) == []
        for path in ("", "progress/", "dry-run/"):
            assert client.get(f"{API}/campaigns/{pk}/{path}").status_code == 404, path
        assert client.post(f"{API}/campaigns/{pk}/close/").status_code == 404
    assert ReviewCampaign.objects.get(pk=pk).state == CampaignState.RUNNING


def test_a_campaign_owner_who_is_not_an_access_manager_runs_their_own(boss, riley):
    own = ReviewCampaign.objects.create(
        name="Moved: what does Riley still need?",
        owner=boss,
        deadline=timezone.now() + timedelta(days=14),
        stages=["manager"],
        state=CampaignState.RUNNING,
    )
    client = client_for(boss)
    assert ids(client.get(f"{API}/campaigns/")) == [own.pk]
    assert client.post(f"{API}/campaigns/{own.pk}/close/").status_code == 200


@pytest.fixture
def boss_items(manager, boss, review):
    _started(manager)
    return {i.grant.holder.username: i for i in ReviewItem.objects.filter(reviewer=boss)}


@pytest.mark.parametrize(
    "body,field",
    [
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "revoke"}, "comment"),
        ({"decision": "shorten"}, "shorten_to"),
        ({"decision": "shorten", "shorten_to": later(days=-1)}, "shorten_to"),
        ({"decision": "shorten", "shorten_to": "soon"}, "shorten_to"),
    ],
)
def test_bad_decisions_get_field_messages_and_decide_nothing(boss, boss_items, body, field):
    item = boss_items["alex"]
    answer = client_for(boss).post(f"{API}/review-items/{item.pk}/decide/", body, format="json")
    assert_error_shape(answer, 400, field)
    item.refresh_from_db()
    assert item.decision == ""


def test_a_shortened_grant_gets_its_new_end(boss, boss_items):
    item = boss_items["alex"]
    answer = client_for(boss).post(
        f"{API}/review-items/{item.pk}/decide/",
        {"decision": "shorten", "shorten_to": later(days=3), "comment": "Until the audit"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["decision_label"] == "Shorten" and answer.json()["shorten_to"]


def test_a_decision_after_the_deadline_is_refused(boss, boss_items):
    item = boss_items["alex"]
    ReviewCampaign.objects.filter(pk=item.campaign_id).update(
        deadline=timezone.now() - timedelta(minutes=1)
    )
    answer = client_for(boss).post(
        f"{API}/review-items/{item.pk}/decide/", {"decision": "keep"}, format="json"
    )
    error = assert_error_shape(answer, 400)
    assert error["code"] == "transition_refused" and "closed on" in error["message"]


def test_reviewers_see_their_items_and_nobody_elses(boss, boss_items, review, manager):
    alex = review["alex"].holder
    item = boss_items["jo"]
    # The holder sees no review of themselves, and cannot decide one.
    assert ids(client_for(alex).get(f"{API}/review-items/")) == []
    answer = client_for(alex).post(
        f"{API}/review-items/{item.pk}/decide/", {"decision": "keep"}, format="json"
    )
    assert answer.status_code == 404
    # The access manager's own list is theirs; a campaign's list is all of it.
    (own,) = ids(client_for(manager).get(f"{API}/review-items/"))
    assert ReviewItem.objects.get(pk=own).grant.holder == boss
    campaign = {"campaign": item.campaign_id}
    assert len(ids(client_for(manager).get(f"{API}/review-items/", campaign))) == 3
    # Seeing is not deciding: the item is the boss's to decide.
    answer = client_for(manager).post(
        f"{API}/review-items/{item.pk}/decide/", {"decision": "keep"}, format="json"
    )
    assert_error_shape(answer, 403)


def test_delegating_hands_the_item_over(boss, boss_items, review):
    item = boss_items["jo"]
    deputy = UserFactory(username="deputy.boss")
    url = f"{API}/review-items/{item.pk}/delegate/"
    refused = client_for(boss).post(url, {"to": "jo", "reason": "knows best"}, format="json")
    error = assert_error_shape(refused, 400, "to")
    assert error["fields"]["to"] == ["Nobody reviews their own access."]
    no_reason = client_for(boss).post(url, {"to": "deputy.boss"}, format="json")
    assert_error_shape(no_reason, 400, "reason")
    handed = client_for(boss).post(url, {"to": "deputy.boss", "reason": "On leave"}, format="json")
    assert handed.status_code == 200, handed.content
    assert handed.json()["reviewer"]["username"] == "deputy.boss"
    assert handed.json()["delegated_from"]["username"] == "boss"
    assert ids(client_for(deputy).get(f"{API}/review-items/")) == [item.pk]
    # The boss still reads what they handed over, but it is no longer theirs to decide.
    again = client_for(boss).post(
        f"{API}/review-items/{item.pk}/decide/", {"decision": "keep"}, format="json"
    )
    assert_error_shape(again, 403)


# --- segregation of duties ----------------------------------------------------------------------
def test_a_scan_finds_conflicting_duties(manager, riley, desk):
    payments = entitlement("Approve payments")
    vendors = entitlement("Create vendors")
    sod_rule("Payments vs vendors", [payments], [vendors])
    # Held together through a path that bypassed the check (a migration from the directory).
    make_grant(entitlement=payments, holder=riley)
    make_grant(entitlement=vendors, holder=riley, source=GrantSource.MIGRATION)
    assert_error_shape(client_for(desk).post(f"{API}/violations/scan/"), 403)
    assert_error_shape(client_for(riley).get(f"{API}/violations/"), 403)
    scanned = client_for(manager).post(f"{API}/violations/scan/")
    assert scanned.json() == {"found": 1, "resolved": 0}
    listed = client_for(desk).get(f"{API}/violations/", {"state": "open"}).json()["results"]
    (violation,) = listed
    assert violation["rule"] == "Payments vs vendors" and violation["state_label"] == "Open"
    assert violation["person"]["username"] == "riley" and violation["found_by"] == "scan"
    assert sorted(g["entitlement"]["name"] for g in violation["grants"]) == [
        "Approve payments",
        "Create vendors",
    ]
    assert client_for(desk).get(f"{API}/violations/{violation['id']}/").status_code == 200
    assert client_for(manager).post(f"{API}/violations/scan/").json() == {"found": 0, "resolved": 0}
    assert SodViolation.objects.count() == 1


# --- leavers ------------------------------------------------------------------------------------
def test_an_access_manager_processes_a_leaver(manager, payroll, desk):
    leaver = UserFactory(username="pat.leaver")
    for e in (payroll, entitlement("CRM licence")):
        make_grant(entitlement=e, holder=leaver)
    url = f"{API}/people/pat.leaver/leave/"
    assert_error_shape(client_for(desk).post(url, {"reason": "x"}, format="json"), 403)
    left = client_for(manager).post(url, {"reason": "Contract ended"}, format="json")
    assert left.status_code == 200, left.content
    body = left.json()
    assert (body["kind"], body["kind_label"]) == ("leaver", "Left")
    assert body["grants_ended"] == 2 and body["batch"].startswith("leaver-")
    assert body["processed_at"] is not None
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert not Grant.objects.filter(holder=leaver, state__in=["scheduled", "active"]).exists()


def test_leaving_refuses_oneself_and_strangers(manager):
    client = client_for(manager)
    assert_error_shape(
        client.post(f"{API}/people/{manager.username}/leave/", {}, format="json"), 403
    )
    assert client.post(f"{API}/people/nobody/leave/", {}, format="json").status_code == 404
    assert manager.is_active


def test_every_access_endpoint_is_in_the_schema(manager):
    schema = client_for(manager).get("/api/schema/", {"format": "json"}).json()
    paths = {p for p in schema["paths"] if p.startswith("/api/access/")}
    assert paths >= {
        "/api/access/entitlements/{id}/holders/",
        "/api/access/packages/{slug}/check/",
        "/api/access/packages/{slug}/request/",
        "/api/access/requests/{number}/cancel/",
        "/api/access/grants/{id}/revoke/",
        "/api/access/provisioning-steps/{id}/retry/",
        "/api/access/provisioning-steps/{id}/done/",
        "/api/access/campaigns/{id}/dry-run/",
        "/api/access/campaigns/{id}/apply/",
        "/api/access/campaigns/{id}/progress/",
        "/api/access/review-items/{id}/decide/",
        "/api/access/review-items/{id}/delegate/",
        "/api/access/violations/scan/",
        "/api/access/people/{username}/leave/",
    }
