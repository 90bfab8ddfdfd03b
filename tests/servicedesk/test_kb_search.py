"""Full-text search: PostgreSQL's tsvector and SQLite's FTS5 give ranked, stemmed answers."""

import pytest
from django.db import connection
from django.urls import reverse

from opsdesk.servicedesk import knowledge
from opsdesk.servicedesk.models import KnowledgeArticle
from opsdesk.servicedesk.search import FTS_TABLE
from tests.servicedesk.factories import ArticleFactory

pytestmark = pytest.mark.django_db

FILLER = ("Teams audio", "Laptop dock", "Badge reader", "Monitor flickers", "Share a calendar")


@pytest.fixture
def shelf(db):
    for title in FILLER:
        ArticleFactory(title=title, body="Ask the service desk.")


def titles(viewer, text, **kw):
    return [a.title for a in knowledge.article_search(viewer=viewer, text=text, **kw)]


def test_word_forms_match(alice, shelf):
    ArticleFactory(title="Printer jams", body="Paper jammed behind the rear flap.")
    assert titles(alice, "printing jam") == ["Printer jams"]


def test_words_match_as_typed_prefixes(alice, shelf):
    ArticleFactory(title="Outlook crashes on start")
    assert titles(alice, "outl") == ["Outlook crashes on start"]


def test_title_outranks_keywords_outranks_body(alice, shelf):
    ArticleFactory(title="Passwords", body="Choose a long one.", keywords="vpn")
    ArticleFactory(title="Remote work", body="Start the vpn client first.")
    ArticleFactory(title="VPN client setup", body="Install and sign in.")
    assert titles(alice, "vpn") == ["VPN client setup", "Passwords", "Remote work"]


def test_search_keeps_permissions_and_state(alice, desk_agent, shelf):
    ArticleFactory(title="VPN internal runbook", audience="internal")
    ArticleFactory(title="VPN draft", state="draft")
    ArticleFactory(title="VPN retired", state="retired")
    assert titles(alice, "vpn") == []
    assert titles(desk_agent, "vpn") == ["VPN internal runbook"]
    assert sorted(titles(desk_agent, "vpn", published_only=False)) == [
        "VPN draft",
        "VPN internal runbook",
        "VPN retired",
    ]


def test_search_follows_edits_and_deletions(alice, desk_agent, shelf):
    article = ArticleFactory(title="Wifi drops")
    knowledge.article_update(actor=desk_agent, article=article, title="Wireless drops")
    assert titles(alice, "wifi") == [] and titles(alice, "wireless") == ["Wireless drops"]
    KnowledgeArticle.objects.filter(pk=article.pk).delete()
    assert titles(alice, "wireless") == []


@pytest.mark.parametrize(
    "text", ["", "   ", "the a of", '"*) OR (NEAR', "vpn' OR 1=1 --", "a:* & !"]
)
def test_odd_input_never_breaks_search(alice, shelf, text):
    ArticleFactory(title="VPN setup")
    found = titles(alice, text)
    assert found in ([], ["VPN setup"])


def test_portal_and_api_search_use_it(client, api, alice, shelf):
    ArticleFactory(title="Printer jams", body="Open the rear flap.")
    client.force_login(alice)
    page = client.get(reverse("servicedesk:kb-search"), {"q": "jammed printers"}).content
    assert b"Printer jams" in page
    rows = api(alice).get(reverse("kb-article-list"), {"q": "jammed"}).json()["results"]
    assert [r["title"] for r in rows] == ["Printer jams"]


def test_sqlite_keeps_an_fts5_index(alice):
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 table exists on SQLite only")
    article = ArticleFactory(title="Docking station")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT title FROM {FTS_TABLE} WHERE rowid = %s", [article.pk])
        assert cursor.fetchone() == ("Docking station",)


def test_postgres_ranks_with_ts_rank(alice, postgres_only, shelf):
    ArticleFactory(title="Docking station")
    found = knowledge.article_search(viewer=alice, text="dock")
    assert "ts_rank" in str(found.query)
    assert {a.title for a in found} == {"Docking station", "Laptop dock"}
