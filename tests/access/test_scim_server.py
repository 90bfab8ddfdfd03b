"""opsdesk's SCIM 2.0 service provider as an identity provider uses it (RFC 7643/7644):
people and teams created, read, filtered, paged, replaced, patched and deleted, with the
shapes Entra ID and Okta send, and every refusal an RFC 7644 error that changes nothing."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opsdesk.access.models import LifecycleEvent, ScimLink
from opsdesk.core.models import AuditEntry, Team, User
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.roles import Role
from opsdesk.core.services import token_create
from opsdesk.core.testing.factories import TeamFactory, UserFactory, admin
from opsdesk.incidents.services import incident_open

pytestmark = pytest.mark.django_db

BASE = "/scim/v2"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"


class Scim:
    """A test client speaking SCIM with a bearer token, CSRF checks on as for a browser."""

    def __init__(self, token: str | None):
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body=None, raw: bytes | None = None, **headers):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.client.generic(
            method,
            BASE + path,
            data=data or "",
            content_type=SCIM_JSON,
            headers={**self.headers, **headers},
        )

    def get(self, path, **params):
        return self.client.get(BASE + path, params, headers=self.headers)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def patch(self, path, *operations, **kw):
        return self.call(
            "PATCH", path, {"schemas": [PATCH_OP], "Operations": list(operations)}, **kw
        )

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def provisioner(db):
    return admin(username="idp-sync", email="")


@pytest.fixture
def scim(provisioner):
    _, raw = token_create(actor=provisioner, user=provisioner, name="Entra ID")
    return Scim(raw)


def ada(**extra) -> dict:
    body = {
        "schemas": [USER, ENTERPRISE],
        "externalId": "e-1001",
        "userName": "ada@example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "displayName": "Ada Lovelace",
        "title": "Analyst",
        "active": True,
        "emails": [{"value": "ada@example.com", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "work"}],
        ENTERPRISE: {"department": "Finance"},
    }
    body.update(extra)
    return body


def assert_scim_error(response, status: int, scim_type: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == SCIM_JSON
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    if scim_type:
        assert body["scimType"] == scim_type
    return body


def user_state(user: User) -> dict:
    user.refresh_from_db()
    return {
        name: getattr(user, name)
        for name in (
            "username",
            "first_name",
            "last_name",
            "display_name",
            "job_title",
            "email",
            "phone",
            "department",
            "manager_id",
            "is_active",
            "version",
        )
    }


# --- authentication and permission ----------------------------------------------------------
def test_without_a_token_the_answer_is_401_with_a_scim_error(db):
    response = Scim(None).get("/Users")
    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_is_refused(scim):
    assert_scim_error(Scim("opsd_nope_nothing").get("/Users"), 401)
    assert_scim_error(Scim(scim.headers["Authorization"][7:] + "x").get("/Users"), 401)


def test_a_token_of_someone_who_is_not_an_administrator_is_refused(db):
    agent = UserFactory(roles=[Role.AGENT])
    _, raw = token_create(actor=agent, user=agent, name="mine")
    assert_scim_error(Scim(raw).get("/Users"), 403)
    assert_scim_error(Scim(raw).post("/Users", ada()), 403)
    assert not User.objects.filter(username="ada@example.com").exists()


def test_a_read_only_token_reads_but_does_not_write(provisioner):
    _, raw = token_create(actor=provisioner, user=provisioner, name="audit", read_only=True)
    assert Scim(raw).get("/Users").status_code == 200
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    assert Scim(raw).post("/Users/.search", search).status_code == 200
    assert_scim_error(Scim(raw).post("/Users", ada()), 403)


# --- people ---------------------------------------------------------------------------------
def test_create_a_person_and_read_them_back(scim, provisioner):
    response = scim.post("/Users", ada())
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == SCIM_JSON
    body = response.json()
    user = User.objects.get(username="ada@example.com")
    assert body["id"] == str(user.pk)
    assert response["Location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{user.pk}")
    assert response["ETag"] == body["meta"]["version"] == f'W/"{user.version}"'
    assert (user.first_name, user.last_name, user.display_name) == (
        "Ada",
        "Lovelace",
        "Ada Lovelace",
    )
    assert (user.job_title, user.email, user.department) == (
        "Analyst",
        "ada@example.com",
        "Finance",
    )
    assert user.phone == "+44 20 7946 0000" and user.is_active
    assert body["externalId"] == "e-1001"
    assert body["emails"] == [{"value": "ada@example.com", "type": "work"}]
    assert body[ENTERPRISE] == {"department": "Finance"}
    assert body["meta"]["resourceType"] == "User"

    again = scim.get(f"/Users/{user.pk}")
    assert again.status_code == 200
    assert again.json() == body
    entry = AuditEntry.objects.filter(action="user.created", object_id=str(user.pk)).get()
    assert entry.actor == provisioner and entry.source == "api"


def test_a_second_person_with_the_same_user_name_in_any_case_is_refused(scim):
    assert scim.post("/Users", ada()).status_code == 201
    assert_scim_error(scim.post("/Users", ada(userName="ADA@example.com")), 409, "uniqueness")
    assert User.objects.filter(username__iexact="ada@example.com").count() == 1


def test_a_person_opsdesk_does_not_have_is_404(scim):
    assert_scim_error(scim.get("/Users/999999"), 404)
    assert_scim_error(scim.get("/Users/not-a-number"), 404)
    assert_scim_error(scim.put("/Users/999999", ada()), 404)
    assert_scim_error(
        scim.patch("/Users/999999", {"op": "replace", "path": "title", "value": "x"}), 404
    )
    assert_scim_error(scim.delete("/Users/999999"), 404)


@pytest.fixture
def people(scim):
    made = {}
    for name, dept, active, email in [
        ("ada", "Finance", True, "ada@example.com"),
        ("alan", "Engineering", True, "alan@example.org"),
        ("grace", "Engineering", False, "grace@example.com"),
        ("linus", "", True, ""),
    ]:
        body = {
            "schemas": [USER, ENTERPRISE],
            "userName": name,
            "externalId": f"x-{name}",
            "displayName": name.title(),
            "active": active,
            ENTERPRISE: {"department": dept} if dept else {},
        }
        if email:
            body["emails"] = [{"value": email, "type": "work"}]
        response = scim.post("/Users", body)
        assert response.status_code == 201, response.content
        made[name] = response.json()["id"]
    return made


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(r["userName"] for r in response.json()["Resources"])


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "ADA"', ["ada"]),
        ('userName sw "a"', ["ada", "alan"]),
        ('userName co "r"', ["grace"]),
        ('userName ew "us"', ["linus"]),
        ('externalId eq "x-alan"', ["alan"]),
        ('externalId eq "X-ALAN"', []),  # externalId is case-exact
        ('emails.value co "example.org"', ["alan"]),
        ('emails[type eq "work" and value ew ".com"]', ["ada", "grace"]),
        ("emails pr", ["ada", "alan", "grace"]),
        ('displayName eq "Grace"', ["grace"]),
        ("active eq false", ["grace"]),
        (
            f'active eq true and {ENTERPRISE}:department eq "Engineering"',
            ["alan"],
        ),
        ('userName eq "ada" or userName eq "linus"', ["ada", "linus"]),
        ('not (userName sw "a") and userName ne "idp-sync"', ["grace", "linus"]),
        ('(userName eq "ada" or userName eq "alan") and active eq true', ["ada", "alan"]),
    ],
)
def test_filters(scim, people, expression, expected):
    assert names(scim.get("/Users", filter=expression)) == expected


@pytest.mark.parametrize(
    "expression",
    [
        'userName xx "a"',
        'userName eq "a',
        "userName eq",
        '(userName eq "a"',
        'nickName eq "a"',  # not something opsdesk can filter on
        'active eq "yes"',
        'userName eq "a" and',
        "(" * 300 + 'userName eq "a"' + ")" * 300,
        "not (" * 300 + 'userName eq "a"' + ")" * 300,
    ],
)
def test_a_filter_that_cannot_be_read_is_invalid_filter(scim, people, expression):
    assert_scim_error(scim.get("/Users", filter=expression), 400, "invalidFilter")


def test_pages_by_start_index_and_count(scim, people):
    everyone = scim.get("/Users", filter='userName ne "idp-sync"').json()
    assert everyone["totalResults"] == 4
    page = scim.get("/Users", filter='userName ne "idp-sync"', startIndex=2, count=2)
    body = page.json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (4, 2, 2)
    assert [r["id"] for r in body["Resources"]] == [r["id"] for r in everyone["Resources"][1:3]]
    counted = scim.get("/Users", count=0).json()
    assert counted["Resources"] == [] and counted["totalResults"] == 5
    assert_scim_error(scim.get("/Users", count="many"), 400, "invalidValue")


def test_attributes_and_excluded_attributes(scim, people):
    only = scim.get(f"/Users/{people['ada']}", attributes="userName,emails.value").json()
    assert set(only) == {"schemas", "id", "userName", "emails"}
    assert only["emails"] == [{"value": "ada@example.com"}]
    without = scim.get("/Users", filter='userName eq "ada"', excludedAttributes="emails,meta")
    resource = without.json()["Resources"][0]
    assert "emails" not in resource and "meta" not in resource and resource["userName"] == "ada"
    department = scim.get(f"/Users/{people['ada']}", attributes=f"{ENTERPRISE}:department")
    assert department.json()[ENTERPRISE] == {"department": "Finance"}


def test_search_by_post(scim, people):
    response = scim.post(
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName sw "a"',
            "attributes": ["userName"],
        },
    )
    assert names(response) == ["ada", "alan"]


def test_put_replaces_the_whole_person(scim):
    made = scim.post("/Users", ada()).json()
    body = {
        "schemas": [USER],
        "userName": "ada.king@example.com",
        "name": {"givenName": "Ada"},
        "active": True,
    }
    response = scim.put(f"/Users/{made['id']}", body)
    assert response.status_code == 200, response.content
    user = User.objects.get(pk=made["id"])
    assert user.username == "ada.king@example.com"
    # What the body leaves out is cleared: PUT is the whole resource.
    assert (user.last_name, user.job_title, user.email, user.department) == ("", "", "", "")
    assert "externalId" not in response.json()


def test_entra_deactivates_with_a_value_and_no_path_and_a_string_false(scim):
    made = scim.post("/Users", ada()).json()
    response = scim.patch(f"/Users/{made['id']}", {"op": "Replace", "value": {"active": "False"}})
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert not User.objects.get(pk=made["id"]).is_active
    back = scim.patch(f"/Users/{made['id']}", {"op": "replace", "path": "active", "value": "True"})
    assert back.json()["active"] is True


def test_entra_style_attribute_changes(scim, people):
    made = scim.post("/Users", ada(emails=[])).json()
    response = scim.patch(
        f"/Users/{made['id']}",
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "ada@new.example.com"},
        {"op": "Replace", "path": "title", "value": "Head of Analysis"},
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Risk"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": people["alan"]},
        {"op": "Replace", "path": "name.familyName", "value": "King"},
        {"op": "Add", "path": "preferredLanguage", "value": "en-GB"},  # kept by nobody: ignored
    )
    assert response.status_code == 200, response.content
    user = User.objects.get(pk=made["id"])
    assert user.email == "ada@new.example.com"
    assert (user.job_title, user.department, user.last_name) == ("Head of Analysis", "Risk", "King")
    assert user.manager_id == int(people["alan"])
    assert response.json()[ENTERPRISE]["manager"]["value"] == people["alan"]
    removed = scim.patch(f"/Users/{made['id']}", {"op": "remove", "path": f"{ENTERPRISE}:manager"})
    assert removed.status_code == 200 and User.objects.get(pk=made["id"]).manager_id is None


@pytest.mark.parametrize(
    ("bad", "scim_type"),
    [
        ({"op": "replace", "path": "id", "value": "5"}, "mutability"),
        ({"op": "remove", "path": "userName"}, "mutability"),
        ({"op": "replace", "path": "nonsense", "value": 1}, "invalidPath"),
        ({"op": "replace", "path": "emails[type eq]", "value": "x"}, "invalidPath"),
        (
            {"op": "replace", "path": 'emails[type eq "home" or value pr].value', "value": "x"},
            "noTarget",
        ),
        ({"op": "replace", "path": "active", "value": "perhaps"}, "invalidValue"),
        ({"op": "replace", "path": "name", "value": "Ada"}, "invalidValue"),
        ({"op": "move", "path": "title", "value": "x"}, "invalidSyntax"),
        ({"op": "remove"}, "noTarget"),
        ({"op": "add", "path": f"{ENTERPRISE}:manager", "value": "999999"}, "invalidValue"),
    ],
)
def test_a_patch_with_one_bad_operation_changes_nothing(scim, bad, scim_type):
    made = scim.post("/Users", ada(emails=[])).json()
    user = User.objects.get(pk=made["id"])
    before, entries = user_state(user), AuditEntry.objects.count()
    response = scim.patch(
        f"/Users/{made['id']}",
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "replace", "path": "title", "value": "Changed"},
        bad,
    )
    body = assert_scim_error(response, 400, scim_type)
    if scim_type != "invalidValue":  # values are checked once all operations are applied
        assert body["detail"].startswith("Operation 3:")
    assert user_state(user) == before
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b'"a string"',
        json.dumps({"userName": "nobody"}).encode(),  # no schemas
        json.dumps({"schemas": [USER], "userName": ""}).encode(),
        json.dumps({"schemas": [USER], "userName": 7.5}).encode(),
        json.dumps({"schemas": [USER], "userName": "x", "name": "X"}).encode(),
        json.dumps({"schemas": [USER], "userName": "x", "emails": "x@example.com"}).encode(),
        json.dumps(
            {"schemas": [USER], "userName": "x", "emails": [{"value": "not an address"}]}
        ).encode(),
        json.dumps({"schemas": [USER], "userName": "has spaces!"}).encode(),
        json.dumps({"schemas": [USER], "userName": "x", "active": "sometimes"}).encode(),
        json.dumps({"schemas": [USER], "userName": "x", "title": "t" * 101}).encode(),
        json.dumps(
            {"schemas": [USER], "userName": "x", ENTERPRISE: {"manager": {"value": "abc"}}}
        ).encode(),
        json.dumps({"schemas": [USER], "userName": "nul\u0000"}).encode(),
        b"[" * 100_000 + b"]" * 100_000,
        '{"schemas": ["x"], "userName": "\udcff"}'.encode("utf-8", "surrogatepass"),
    ],
)
def test_bad_bodies_are_refused_with_a_scim_error_and_create_nobody(scim, raw):
    people = User.objects.count()
    response = scim.post("/Users", raw=raw)
    assert 400 <= response.status_code < 500, response.content
    assert_scim_error(response, response.status_code)
    assert User.objects.count() == people


def test_a_body_over_the_limit_is_refused(scim, settings):
    raw = json.dumps(ada(title="x" * (1024 * 1024))).encode()
    assert_scim_error(scim.post("/Users", raw=raw), 413)


def test_a_stale_if_match_is_412_and_a_current_one_works(scim):
    made = scim.post("/Users", ada()).json()
    version = made["meta"]["version"]
    assert (
        scim.patch(
            f"/Users/{made['id']}", {"op": "replace", "path": "title", "value": "A"}
        ).status_code
        == 200
    )
    stale = scim.patch(
        f"/Users/{made['id']}", {"op": "replace", "path": "title", "value": "B"}, If_Match=version
    )
    assert_scim_error(stale, 412)
    current = scim.get(f"/Users/{made['id']}")["ETag"]
    fresh = scim.patch(
        f"/Users/{made['id']}", {"op": "replace", "path": "title", "value": "B"}, If_Match=current
    )
    assert fresh.status_code == 200 and User.objects.get(pk=made["id"]).job_title == "B"


def test_delete_disables_the_person_keeps_the_row_and_hides_them(scim):
    made = scim.post("/Users", ada()).json()
    assert scim.delete(f"/Users/{made['id']}").status_code == 204
    user = User.objects.get(pk=made["id"])  # still there: their history stays
    assert not user.is_active
    assert_scim_error(scim.get(f"/Users/{made['id']}"), 404)
    assert names(scim.get("/Users", filter='userName eq "ada@example.com"')) == []
    assert_scim_error(scim.delete(f"/Users/{made['id']}"), 404)
    # Rehired: the identity provider creates them again and they come back as themselves.
    again = scim.post("/Users", ada(externalId="e-2002"))
    assert again.status_code == 201 and again.json()["id"] == made["id"]
    user.refresh_from_db()
    assert user.is_active and ScimLink.objects.get(user=user).external_id == "e-2002"


def test_the_provisioning_account_cannot_disable_itself(scim, provisioner):
    assert_scim_error(scim.delete(f"/Users/{provisioner.pk}"), 400, "invalidValue")
    provisioner.refresh_from_db()
    assert provisioner.is_active


# --- joiner, mover, leaver ------------------------------------------------------------------
def lifecycle(person_id) -> list[tuple[str, str, bool]]:
    """What access management made of the changes, once the worker delivered their facts."""
    outbox_deliver_due()
    events = LifecycleEvent.objects.filter(person_id=person_id).order_by("id")
    return [(e.kind, e.source, e.processed_at is not None) for e in events]


def test_joiners_movers_and_leavers_come_from_scim(scim, provisioner):
    made = scim.post("/Users", ada()).json()
    pk = int(made["id"])
    assert lifecycle(pk) == [("joiner", "SCIM", True)]
    mover = {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Risk"}
    assert scim.patch(f"/Users/{pk}", mover).status_code == 200
    assert lifecycle(pk)[1:] == [("mover", "SCIM", True)]
    event = LifecycleEvent.objects.filter(person_id=pk, kind="mover").get()
    assert event.details == {"from_department": "Finance", "to_department": "Risk"}
    # A PATCH that changes nothing is no event.
    assert scim.patch(f"/Users/{pk}", {"op": "replace", "path": "title", "value": "Analyst"})
    assert len(lifecycle(pk)) == 2
    assert scim.delete(f"/Users/{pk}").status_code == 204
    assert lifecycle(pk)[2:] == [("leaver", "SCIM", True)]
    # The deactivation itself is the provisioning account's, over the API.
    entry = AuditEntry.objects.filter(action="user.updated", object_id=str(pk)).latest("id")
    assert entry.changes["is_active"] == {"from": True, "to": False}
    assert entry.actor == provisioner and entry.source == "api"


def test_entra_disabling_someone_makes_them_a_leaver(scim):
    made = scim.post("/Users", ada()).json()
    scim.patch(f"/Users/{made['id']}", {"op": "Replace", "value": {"active": "False"}})
    assert [kind for kind, _, _ in lifecycle(made["id"])] == ["joiner", "leaver"]


# --- teams ----------------------------------------------------------------------------------
def group(name="Payroll Admins", members=()):
    return {
        "schemas": [GROUP],
        "displayName": name,
        "externalId": f"g-{name}",
        "members": [{"value": str(m)} for m in members],
    }


def member_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(m["value"] for m in response.json().get("members", []))


def test_create_read_filter_and_delete_a_team(scim, people, provisioner):
    response = scim.post("/Groups", group(members=[people["ada"], people["alan"]]))
    assert response.status_code == 201, response.content
    made = response.json()
    team = Team.objects.get(name="Payroll Admins")
    assert made["id"] == str(team.pk) and made["externalId"] == "g-Payroll Admins"
    assert sorted(str(u.pk) for u in team.members.all()) == sorted([people["ada"], people["alan"]])
    assert made["meta"]["resourceType"] == "Group"
    assert member_ids(scim.get(f"/Groups/{team.pk}")) == sorted([people["ada"], people["alan"]])
    found = scim.get("/Groups", filter='displayName eq "payroll admins"').json()
    assert [r["id"] for r in found["Resources"]] == [made["id"]]
    by_member = scim.get("/Groups", filter=f'members[value eq "{people["ada"]}"]').json()
    assert [r["id"] for r in by_member["Resources"]] == [made["id"]]
    ada_now = scim.get(f"/Users/{people['ada']}").json()
    assert ada_now["groups"][0]["value"] == made["id"]
    assert_scim_error(scim.post("/Groups", group()), 409, "uniqueness")
    assert scim.delete(f"/Groups/{team.pk}").status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    assert_scim_error(scim.get(f"/Groups/{team.pk}"), 404)
    entry = AuditEntry.objects.filter(action="team.created").latest("id")
    assert entry.actor == provisioner and entry.source == "api"


def test_membership_patches_as_entra_and_okta_send_them(scim, people):
    team = scim.post("/Groups", group(members=[people["ada"]])).json()
    path = f"/Groups/{team['id']}"
    added = scim.patch(
        path,
        {
            "op": "Add",
            "path": "members",
            "value": [{"value": people["alan"]}, {"value": people["ada"]}],
        },
    )
    assert member_ids(added) == sorted([people["ada"], people["alan"]])
    removed = scim.patch(path, {"op": "remove", "path": f'members[value eq "{people["ada"]}"]'})
    assert member_ids(removed) == [people["alan"]]
    # Entra: remove by a list of values; removing someone already gone changes nothing.
    entra = scim.patch(
        path,
        {
            "op": "Remove",
            "path": "members",
            "value": [{"value": people["alan"]}, {"value": people["ada"]}],
        },
    )
    assert member_ids(entra) == []
    renamed = scim.patch(path, {"op": "replace", "value": {"displayName": "Payroll"}})
    assert renamed.json()["displayName"] == "Payroll"
    replaced = scim.put(
        path,
        {"schemas": [GROUP], "displayName": "Payroll", "members": [{"value": people["linus"]}]},
    )
    assert member_ids(replaced) == [people["linus"]]
    assert Team.objects.get(pk=team["id"]).name == "Payroll"


def test_a_team_patch_naming_someone_unknown_changes_nothing(scim, people):
    team = scim.post("/Groups", group(members=[people["ada"]])).json()
    response = scim.patch(
        f"/Groups/{team['id']}",
        {"op": "replace", "path": "displayName", "value": "Renamed"},
        {"op": "add", "path": "members", "value": [{"value": "999999"}]},
    )
    assert_scim_error(response, 400, "invalidValue")
    current = Team.objects.get(pk=team["id"])
    assert current.name == "Payroll Admins"
    assert [str(u.pk) for u in current.members.all()] == [people["ada"]]


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [GROUP]},
        {"schemas": [GROUP], "displayName": "X", "members": "everyone"},
        {"schemas": [GROUP], "displayName": "X", "members": [{"value": "abc"}]},
        {"schemas": [GROUP], "displayName": "X", "members": [{"value": "1", "type": "Group"}]},
        {"schemas": [USER], "displayName": "X"},
    ],
)
def test_bad_team_bodies_are_refused(scim, body):
    teams = Team.objects.count()
    assert_scim_error(scim.post("/Groups", body), 400)
    assert Team.objects.count() == teams


def test_a_team_that_is_unknown_is_404(scim):
    assert_scim_error(scim.get("/Groups/424242"), 404)
    assert_scim_error(scim.delete("/Groups/424242"), 404)


def test_existing_teams_are_groups_too(scim):
    desk = TeamFactory(name="Service Desk")
    listed = scim.get("/Groups", filter='displayName eq "Service Desk"').json()
    assert [r["id"] for r in listed["Resources"]] == [str(desk.pk)]


# --- discovery and unknown paths ------------------------------------------------------------
def test_discovery_endpoints(scim):
    config = scim.get("/ServiceProviderConfig")
    assert config.status_code == 200 and config["Content-Type"] == SCIM_JSON
    assert config.json()["patch"]["supported"] is True
    assert config.json()["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types_ = scim.get("/ResourceTypes").json()
    assert {r["name"] for r in types_["Resources"]} == {"User", "Group"}
    schema = scim.get(f"/Schemas/{ENTERPRISE}").json()
    assert {a["name"] for a in schema["attributes"]} == {"department", "manager"}
    assert_scim_error(scim.get("/Schemas/urn:nothing"), 404)
    assert_scim_error(scim.post("/ServiceProviderConfig", {}), 405)


def test_paths_scim_does_not_have_answer_in_scim(scim):
    assert_scim_error(scim.get("/Nothing/here"), 404)
    assert_scim_error(scim.post("/Bulk", {}), 501)


def test_search_across_people_and_teams(scim, people):
    scim.post("/Groups", group(name="Ada Fans", members=[people["ada"]]))
    response = scim.post(
        "/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'displayName sw "Ada"',
        },
    )
    body = response.json()
    assert response.status_code == 200 and body["totalResults"] == 2
    assert [r["meta"]["resourceType"] for r in body["Resources"]] == ["User", "Group"]
    only_people = scim.post(
        "/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName eq "ada"',
        },
    ).json()
    assert [r["id"] for r in only_people["Resources"]] == [people["ada"]]
    second = scim.post(
        "/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'displayName sw "Ada"',
            "startIndex": 2,
            "count": 5,
        },
    ).json()
    assert [r["meta"]["resourceType"] for r in second["Resources"]] == ["Group"]
    nonsense = scim.post(
        "/.search",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "x pr"},
    )
    assert_scim_error(nonsense, 400, "invalidFilter")


def test_okta_replace_repeating_the_id_changes_the_name(scim, people):
    team = scim.post("/Groups", group(members=[people["ada"]])).json()
    response = scim.patch(
        f"/Groups/{team['id']}",
        {"op": "replace", "value": {"id": team["id"], "displayName": "Payroll Team"}},
    )
    assert response.status_code == 200, response.content
    assert Team.objects.get(pk=team["id"]).name == "Payroll Team"


def test_listing_takes_the_same_queries_for_two_teams_or_twenty(scim, people):
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert scim.get(path).status_code == 200
        return len(captured.captured_queries)

    for n in range(2):
        scim.post("/Groups", group(name=f"Team {n}", members=[people["ada"], people["alan"]]))
    few_teams, few_people = queries("/Groups"), queries("/Users")
    for n in range(2, 20):
        scim.post("/Groups", group(name=f"Team {n}", members=[people["ada"], people["alan"]]))
    for n in range(10):
        scim.post("/Users", {"schemas": [USER], "userName": f"extra{n}"})
    assert queries("/Groups") == few_teams
    assert queries("/Users") == few_people


def test_a_team_tickets_are_assigned_to_is_not_deleted(scim, people, caller):
    team = scim.post("/Groups", group(members=[people["ada"]])).json()
    incident_open(
        actor=None,
        caller=caller,
        short_description="Payroll run failed",
        assignment_group=Team.objects.get(pk=team["id"]),
    )
    assert_scim_error(scim.delete(f"/Groups/{team['id']}"), 409)
    assert Team.objects.filter(pk=team["id"]).exists()
