"""API conventions every endpoint shares: errors, limits, schema, health."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from opsdesk.core.models import Team
from opsdesk.core.testing.api import assert_error_shape
from opsdesk.core.testing.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_not_found_uses_the_error_shape(api, agent_user):
    error = assert_error_shape(api(agent_user).get(reverse("team-detail", args=[999999])), 404)
    assert error["code"] == "not_found"


def test_unknown_api_path_answers_json_404(agent_user):
    client = Client()
    client.force_login(agent_user)
    response = client.get("/api/no-such-thing/")
    assert_error_shape(response, 404)


def test_malformed_json_is_a_400(api, admin_user_):
    response = api(admin_user_).post(
        reverse("team-list"), data="{not json", content_type="application/json"
    )
    assert_error_shape(response, 400)


def test_every_bad_field_is_reported(api, admin_user_):
    response = api(admin_user_).post(
        reverse("team-list"), {"name": "", "type": "sales", "email": "nope"}, format="json"
    )
    error = assert_error_shape(response, 400)
    assert set(error["fields"]) == {"name", "type", "email"}
    assert not Team.objects.exists()


def test_oversized_body_is_refused_with_413(api, admin_user_, settings):
    settings.MAX_BODY_BYTES = 1000
    body = json.dumps({"name": "x" * 2000, "type": "technical"})
    response = api(admin_user_).post(
        reverse("team-list"), data=body, content_type="application/json"
    )
    error = assert_error_shape(response, 413)
    assert "1000 bytes" in error["message"]


def test_team_cannot_escalate_to_itself(api, admin_user_):
    team = TeamFactory()
    response = api(admin_user_).patch(
        reverse("team-detail", args=[team.pk]), {"escalation_team": team.pk}, format="json"
    )
    assert_error_shape(response, 400, field="escalation_team")


def test_if_match_header_also_guards_against_stale_updates(api, admin_user_):
    team = TeamFactory()
    client = api(admin_user_)
    url = reverse("team-detail", args=[team.pk])
    assert (
        client.patch(url, {"description": "a"}, format="json", HTTP_IF_MATCH='"1"').status_code
        == 200
    )
    stale = client.patch(url, {"description": "b"}, format="json", HTTP_IF_MATCH='"1"')
    assert_error_shape(stale, 409)
    team.refresh_from_db()
    assert team.description == "a"


def test_unchanged_update_does_not_bump_version(api, admin_user_):
    team = TeamFactory(description="same")
    response = api(admin_user_).patch(
        reverse("team-detail", args=[team.pk]), {"description": "same"}, format="json"
    )
    assert response.json()["version"] == 1


def test_requester_sees_only_themselves(api, requester_user, agent_user):
    ids = [u["id"] for u in api(requester_user).get(reverse("user-list")).json()["results"]]
    assert ids == [requester_user.pk]
    assert api(requester_user).get(reverse("user-detail", args=[agent_user.pk])).status_code == 404


def test_cursor_pagination_walks_every_page(api, agent_user):
    for n in range(7):
        TeamFactory(name=f"T{n}")
    client = api(agent_user)
    seen, url = [], reverse("team-list") + "?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [t["name"] for t in page["results"]]
        url = page["next"]
    assert sorted(seen) == [f"T{n}" for n in range(7)]


def test_schema_is_openapi_3_with_bearer_auth(client):
    response = client.get(reverse("schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "bearerAuth" in schema["components"]["securitySchemes"]
    assert "/api/teams/{id}/" in schema["paths"]


def test_swagger_ui_is_served_from_local_files(client):
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()


def test_healthz_and_readyz_need_no_login(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "queue": "ok"}


def test_request_id_is_echoed(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert generated != "bad id with spaces" and len(generated) == 32


def test_out_of_range_ids_in_filters_never_500(api, agent_user):
    response = api(agent_user).get(reverse("team-list"), {"member": 10**30})
    if response.status_code == 200:  # PostgreSQL compares it and finds nothing
        assert response.json()["results"] == []
    else:  # SQLite cannot bind it
        assert_error_shape(response, 400)


def test_nul_characters_are_refused_in_forms_and_queries(agent_user):
    client = Client()
    client.force_login(agent_user)
    assert client.get("/people/?q=a%00b").status_code == 400
    assert client.post("/account/", {"display_name": "a\x00b"}).status_code == 400
    api_answer = client.get("/api/users/?search=a%00b")
    assert_error_shape(api_answer, 400)


def test_admin_sets_a_password_through_the_api_and_it_is_audited(api, admin_user_, agent_user):
    from opsdesk.core.models import AuditEntry

    response = api(admin_user_).patch(
        reverse("user-detail", args=[agent_user.pk]),
        {"password": "a new long passphrase"},
        format="json",
    )
    assert response.status_code == 200
    agent_user.refresh_from_db()
    assert agent_user.check_password("a new long passphrase")
    entry = AuditEntry.objects.get(action="user.password_set", object_id=str(agent_user.pk))
    assert "passphrase" not in str(entry.changes)
