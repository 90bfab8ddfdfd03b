"""Global search: words find records of every type, ranked, only what the viewer may see.

The same tests run on SQLite (FTS5 tables kept by triggers) and PostgreSQL (weighted
tsvector through a GIN index); a number opens its record from the page and answers alone
over the API.
"""

import pytest
from django.db import connection
from django.urls import reverse

from opsdesk.core import search
from opsdesk.core.search_index import FullTextIndex
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.incidents.models import Incident
from opsdesk.incidents.testing import IncidentFactory
from tests.cmdb.factories import CIFactory, business_service
from tests.servicedesk.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db):
    return TeamFactory(name="Service Desk")


@pytest.fixture
def desk_agent(team):
    user = agent(username="dana")
    team.members.add(user)
    return user


@pytest.fixture
def caller(db):
    return requester(username="carol")


def incident(title, description="Nothing more to say.", **fields):
    return IncidentFactory(short_description=title, description=description, **fields)


def found(text, viewer, key="incident"):
    hits = search.load(search.search(text, viewer=viewer), viewer=viewer)
    return [hit.title for hit in hits if hit.record_type.key == key]


def test_words_match_in_any_order_and_stemmed(desk_agent, team):
    incident("Printer on 3rd floor jams", assignment_group=team)
    incident("Email is down", assignment_group=team)
    for text in ("printer floor", "floor printer", "Printers FLOORS", "jammed printer"):
        assert found(text, desk_agent) == ["Printer on 3rd floor jams"], text
    # Every word has to match.
    assert found("printer email", desk_agent) == []


def test_a_title_hit_ranks_above_a_body_only_hit(desk_agent, team):
    incident("Laptop is slow", "Since the VPN client update it crawls.", assignment_group=team)
    incident("VPN drops every hour", assignment_group=team)
    assert found("vpn", desk_agent) == ["VPN drops every hour", "Laptop is slow"]


def test_finished_incidents_are_found(desk_agent, team):
    for state in ("resolved", "closed", "cancelled"):
        incident(f"Scanner {state} ticket", state=state, assignment_group=team)
    assert sorted(found("scanner ticket", desk_agent)) == [
        "Scanner cancelled ticket",
        "Scanner closed ticket",
        "Scanner resolved ticket",
    ]


def test_a_requester_finds_only_their_own_incidents(caller):
    incident("Monitor flickers for Carol", caller=caller)
    incident("Monitor flickers for someone else")
    assert found("monitor flickers", caller) == ["Monitor flickers for Carol"]


def test_another_teams_confidential_incident_stays_hidden(desk_agent, team):
    hr = TeamFactory(name="HR")
    incident("Payroll export leaked", confidential=True, assignment_group=hr)
    incident("Payroll report is late", assignment_group=hr)
    assert found("payroll", desk_agent) == ["Payroll report is late"]
    insider = agent(username="hana")
    hr.members.add(insider)
    assert sorted(found("payroll", insider)) == ["Payroll export leaked", "Payroll report is late"]


def test_edits_are_searched_however_they_are_written(desk_agent, team):
    record = incident("Keyboard missing keys", assignment_group=team)
    Incident.objects.filter(pk=record.pk).update(
        short_description="Mouse wheel broken", resolution_notes="Replaced the keyboard cable."
    )
    assert found("mouse wheel", desk_agent) == ["Mouse wheel broken"]
    assert found("keyboard cable", desk_agent) == ["Mouse wheel broken"]
    assert found("missing keys", desk_agent) == []
    Incident.objects.filter(pk=record.pk).delete()
    assert found("mouse", desk_agent) == []


def test_knowledge_articles_and_cis_are_searched_with_their_own_visibility(desk_agent, caller):
    ArticleFactory(title="Reset your VPN token", keywords="vpn, token", state="published")
    ArticleFactory(title="VPN token internals", state="draft")
    business_service("VPN remote access")
    CIFactory(name="vpn-gateway-01")
    assert found("vpn", caller, key="kb") == ["Reset your VPN token"]
    assert found("vpn", caller, key="ci") == ["VPN remote access"]
    assert sorted(found("vpn", desk_agent, key="kb")) == [
        "Reset your VPN token",
        "VPN token internals",
    ]
    assert sorted(found("vpn", desk_agent, key="ci")) == ["VPN remote access", "vpn-gateway-01"]


def test_words_that_are_not_words_find_nothing(desk_agent, team):
    incident("Printer on 3rd floor jams", assignment_group=team)
    for text in ("", "   ", '"*AND(', "the of", "-", "x"):
        assert search.search(text, viewer=desk_agent) == [], text
    # Search syntax in the box is taken as words, never as operators.
    assert found('printer* "floor" OR -jams AND (', desk_agent) == ["Printer on 3rd floor jams"]


# --- the page -----------------------------------------------------------------------------------


def page(client, text, **params):
    return client.get(reverse("core:search"), {"q": text, **params})


def test_every_signed_in_page_has_the_search_box(client, caller):
    client.force_login(caller)
    body = client.get(reverse("core:profile")).content.decode()
    assert 'role="search"' in body and f'action="{reverse("core:search")}"' in body
    assert '<label for="topbar-search-q" class="visually-hidden">Search</label>' in body
    client.logout()
    assert 'role="search"' not in client.get(reverse("core:login")).content.decode()


def test_the_page_shows_ranked_results_with_labels_and_keeps_the_query(client, desk_agent, team):
    body_hit = incident("Laptop is slow", "The VPN client hangs.", assignment_group=team)
    title_hit = incident("VPN drops every hour", state="resolved", assignment_group=team)
    ArticleFactory(title="Reset your VPN token", state="published")
    client.force_login(desk_agent)
    response = page(client, "vpn")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="vpn"' in body
    assert body.index(title_hit.number) < body.index(body_hit.number)
    assert f'href="{reverse("incidents:detail", args=[title_hit.pk])}"' in body
    assert '<span class="badge">Incident</span>' in body
    assert '<span class="badge">Knowledge article</span>' in body
    assert '<span class="muted">Resolved</span>' in body and ">resolved<" not in body
    assert "3 results" in body


def test_no_results_says_so_with_a_hint(client, desk_agent):
    client.force_login(desk_agent)
    body = page(client, "zebra crossing").content.decode()
    assert "No results for “zebra crossing”" in body
    assert "Try fewer or other words" in body


def test_bad_input_is_a_message_not_an_error(client, desk_agent):
    client.force_login(desk_agent)
    response = page(client, "")
    assert response.status_code == 200
    assert "Type some words or a record number" in response.content.decode()
    response = page(client, "x" * (search.MAX_QUERY_LENGTH + 1))
    assert response.status_code == 200
    assert "Search for at most 200 characters." in response.content.decode()
    # Without a query the page explains itself.
    response = client.get(reverse("core:search"))
    assert "record number such as INC0001234" in response.content.decode()


def test_results_are_paginated(client, desk_agent, team):
    for n in range(30):
        incident(f"Badge reader {n} offline", assignment_group=team)
    client.force_login(desk_agent)
    body = page(client, "badge reader").content.decode()
    assert body.count('data-testid="search-result"') == 25
    assert "Page 1 of 2 · 30 in all" in body
    assert "q=badge%20reader&amp;page=2" in body
    second = page(client, "badge reader", page=2).content.decode()
    assert second.count('data-testid="search-result"') == 5


def test_a_number_opens_its_record_in_any_state(client, desk_agent, team, caller):
    record = incident("Old ticket", state="closed", assignment_group=team, caller=caller)
    digits = str(int(record.number[3:]))
    client.force_login(desk_agent)
    for text in (record.number, record.number.lower(), f"inc{digits}"):
        response = page(client, text)
        assert response.status_code == 302
        assert response["Location"] == reverse("incidents:detail", args=[record.pk])
    # The caller lands on the portal's page of the ticket.
    client.force_login(caller)
    assert page(client, record.number)["Location"] == reverse(
        "servicedesk:ticket", args=[record.pk]
    )
    # Someone who may not see it is not told it exists.
    client.force_login(requester(username="mallory"))
    response = page(client, record.number)
    assert response.status_code == 200
    assert f"No results for “{record.number}”" in response.content.decode()


def test_a_knowledge_number_opens_the_article(client, caller):
    article = ArticleFactory(title="Reset your VPN token", state="published")
    client.force_login(caller)
    response = page(client, article.number)
    assert response["Location"] == reverse("servicedesk:kb-article", args=[article.number])


# --- the API ------------------------------------------------------------------------------------


def api_search(user, text=None, **params):
    query = {} if text is None else {"q": text}
    return client_for(user).get("/api/search/", {**query, **params})


def test_api_ranks_with_labels(desk_agent, team):
    body_hit = incident("Laptop is slow", "The VPN client hangs.", assignment_group=team)
    title_hit = incident("VPN drops every hour", state="resolved", assignment_group=team)
    response = api_search(desk_agent, "vpn")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["number"] for r in results] == [title_hit.number, body_hit.number]
    first = results[0]
    assert first["type"] == "incident" and first["type_label"] == "Incident"
    assert first["title"] == "VPN drops every hour"
    assert first["state_label"] == "Resolved"
    assert first["url"] == reverse("incidents:detail", args=[title_hit.pk])
    assert first["score"] > results[1]["score"]


def test_api_pages_with_cursors(desk_agent, team):
    for n in range(7):
        incident(f"Badge reader {n} offline", assignment_group=team)
    first = api_search(desk_agent, "badge reader", page_size=5).json()
    assert len(first["results"]) == 5 and first["previous"] is None
    second = client_for(desk_agent).get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    numbers = {r["number"] for r in first["results"]} | {r["number"] for r in second["results"]}
    assert len(numbers) == 7
    back = client_for(desk_agent).get(second["previous"]).json()
    assert back["results"] == first["results"]


def test_api_number_answers_that_record_alone_if_visible(desk_agent, team, caller):
    record = incident("Printer on 3rd floor jams", assignment_group=team, caller=caller)
    incident("Another printer", assignment_group=team)
    results = api_search(desk_agent, record.number.lower()).json()["results"]
    assert [(r["type"], r["id"], r["number"]) for r in results] == [
        ("incident", record.pk, record.number)
    ]
    portal = api_search(caller, record.number).json()["results"]
    assert portal[0]["url"] == reverse("servicedesk:ticket", args=[record.pk])
    assert api_search(requester(username="mallory"), record.number).json()["results"] == []


def test_api_keeps_to_what_the_viewer_may_see(caller):
    incident("Monitor flickers for Carol", caller=caller)
    incident("Monitor flickers for someone else", confidential=True)
    results = api_search(caller, "monitor").json()["results"]
    assert [r["title"] for r in results] == ["Monitor flickers for Carol"]


def test_api_refuses_a_missing_empty_or_too_long_query(desk_agent):
    for text in (None, "", "   ", "x" * (search.MAX_QUERY_LENGTH + 1)):
        error = assert_error_shape(api_search(desk_agent, text), 400, field="q")
        assert error["fields"]["q"][0].startswith(("Type some words", "Search for at most")), text


def test_api_needs_a_signed_in_user(client):
    assert client.get("/api/search/", {"q": "printer"}).status_code in (401, 403)


def test_the_schema_documents_the_search(client, desk_agent):
    client.force_login(desk_agent)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/search/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "cursor", "page_size"}
    page_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert page_schema["$ref"].endswith("PaginatedSearchHitList")
    hit = schema["components"]["schemas"]["SearchHit"]
    assert {"type_label", "number", "title", "state_label", "url"} <= set(hit["properties"])
    assert "400" in operation["responses"]


# --- the indexes --------------------------------------------------------------------------------


def sqlite_objects(name_like: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE %s AND type IN ('table', 'trigger')",
            [name_like],
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_record_type_has_its_full_text_index():
    for record_type in search.record_types():
        if connection.vendor == "sqlite":
            # A table rebuild in a later migration would drop the triggers: it must restore them.
            assert sqlite_objects(f"{record_type.fts}%") >= {
                record_type.fts,
                f"{record_type.fts}_insert",
                f"{record_type.fts}_update",
                f"{record_type.fts}_delete",
            }, record_type.key
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                    [record_type.model._meta.db_table, "%USING gin%to_tsvector%"],
                )
                assert cursor.fetchone(), record_type.key


def test_incident_search_filters_through_the_index_on_postgresql(postgres_only, desk_agent, team):
    IncidentFactory.create_batch(300, short_description="Laptop dock", assignment_group=team)
    incident("Printer on 3rd floor jams", assignment_group=team)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Incident._meta.db_table}")
        cursor.execute("SET LOCAL enable_seqscan = off")
    from django.contrib.postgres.search import SearchQuery

    record_type = search.record_type("incident")
    query = SearchQuery("printer floor", search_type="websearch", config=search.PG_CONFIG)
    # The bare match, without the viewer's joins and the list's order: with those the planner
    # may walk another index and filter, which says nothing about whether this one matches.
    qs = (
        Incident.objects.annotate(search_document=search.search_vector(record_type.fields))
        .filter(search_document=query)
        .order_by()
    )
    assert "incident_search_vector" in qs.explain()
    assert found("printer floor", desk_agent) == ["Printer on 3rd floor jams"]


class Editor:
    """Runs what a schema editor would, inside the test's transaction (which SQLite's own
    schema editor refuses)."""

    connection = connection

    def execute(self, sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_the_index_operation_is_reversible(team):
    operation = FullTextIndex(
        table="incidents_incident",
        fields={"short_description": "A", "description": "C", "resolution_notes": "C"},
        name="incident_search_vector",
    )
    agent_user = agent(username="ivo")
    team.members.add(agent_user)
    incident("Projector bulb blown", assignment_group=team)
    if connection.vendor == "postgresql":
        # Django defers foreign key checks to commit; an index cannot be built over them.
        Editor().execute("SET CONSTRAINTS ALL IMMEDIATE")
    operation.database_backwards("incidents", Editor(), None, None)
    if connection.vendor == "sqlite":
        assert sqlite_objects("incidents_incident_fts%") == set()
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [operation.name])
            assert cursor.fetchone() is None
    operation.database_forwards("incidents", Editor(), None, None)
    incident("Projector cable missing", assignment_group=team)
    # Restoring the index also indexes what was written while it was gone.
    assert sorted(found("projector", agent_user)) == [
        "Projector bulb blown",
        "Projector cable missing",
    ]
