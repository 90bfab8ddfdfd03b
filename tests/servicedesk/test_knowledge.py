"""Knowledge base: ranking search, audience and state rules, versions, agent pages and API."""

import pytest
from django.urls import reverse

from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite, assert_error_shape
from opsdesk.core.testing.factories import agent
from opsdesk.servicedesk import knowledge
from opsdesk.servicedesk.models import KnowledgeArticle
from tests.servicedesk.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_search_ranks_title_hits_above_body_hits(alice):
    body_only = ArticleFactory(title="Printer guide", body="If the vpn fails, call us.")
    in_title = ArticleFactory(title="VPN will not connect", keywords="vpn")
    # A knowledge base of some size: ranking weighs how rare a word is across articles.
    for topic in ("Unrelated", "Teams audio", "Laptop dock", "Badge reader", "Monitor"):
        ArticleFactory(title=topic, body="Nothing here")
    found = list(knowledge.article_search(viewer=alice, text="VPN"))
    assert found == [in_title, body_only]


def test_requesters_see_only_published_public_articles(client, alice):
    internal = ArticleFactory(title="Firewall runbook", audience="internal")
    draft = ArticleFactory(title="Draft", state="draft")
    client.force_login(alice)
    for article in (internal, draft):
        url = reverse("servicedesk:kb-article", args=[article.number])
        assert client.get(url).status_code == 404
    assert (
        b"Firewall" not in client.get(reverse("servicedesk:kb-search"), {"q": "firewall"}).content
    )


def test_article_body_is_rendered_markdown_without_raw_html(client, alice):
    article = ArticleFactory(body="**Bold** <script>alert(1)</script>")
    client.force_login(alice)
    page = client.get(reverse("servicedesk:kb-article", args=[article.number])).content.decode()
    assert "<strong>Bold</strong>" in page and "<script>alert" not in page


def test_agent_writes_a_draft_and_every_edit_is_a_version(client, desk_agent):
    reviewer = agent(username="rita")
    client.force_login(desk_agent)
    client.post(
        reverse("servicedesk:kb-create"),
        {"title": "Reset MFA", "body": "Open the portal.", "audience": "public"},
    )
    article = KnowledgeArticle.objects.get()
    assert article.number.startswith("KB") and article.author == desk_agent
    assert article.state == "draft"
    client.post(
        reverse("servicedesk:kb-edit", args=[article.pk]),
        {
            "title": "Reset MFA",
            "body": "Open the portal, then Security.",
            "audience": "public",
            "version": article.version,
        },
    )
    stale = client.post(
        reverse("servicedesk:kb-edit", args=[article.pk]),
        {"title": "Old", "body": "x", "audience": "public", "version": 1},
    )
    assert stale.status_code == 200  # the stale edit is refused on the form, not saved
    client.post(reverse("servicedesk:kb-state", args=[article.pk, "submit"]))
    client.force_login(reviewer)
    page = client.get(reverse("servicedesk:kb-detail", args=[article.pk])).content.decode()
    assert "Publish" in page and "Back to draft" in page
    client.post(reverse("servicedesk:kb-state", args=[article.pk, "publish"]))
    article.refresh_from_db()
    assert article.state == "published" and article.published_at is not None
    assert article.title == "Reset MFA"
    assert list(article.revisions.values_list("version", flat=True)) == [2, 1]


def test_requesters_cannot_write_articles(client, alice, api):
    client.force_login(alice)
    assert client.get(reverse("servicedesk:kb-create")).status_code == 403
    response = api(alice).post(
        reverse("kb-article-list"), {"title": "Mine", "body": "x"}, format="json"
    )
    assert_error_shape(response, 403)


class TestArticleAPI(APICrudSuite):
    basename = "kb-article"
    factory = ArticleFactory
    create_data = {"title": "Share a mailbox", "body": "Ask your manager.", "audience": "public"}
    update_data = {"body": "Ask your manager, then IT."}
    invalid_data = {"title": "", "body": "x"}
    reader_roles = [Role.AGENT, Role.REQUESTER]
    writer_roles = [Role.AGENT]
    outsider_roles = []


def test_api_search_with_q(api, alice):
    ArticleFactory(title="Outlook crashes on start")
    ArticleFactory(title="Teams audio")
    rows = api(alice).get(reverse("kb-article-list"), {"q": "outlook"}).json()["results"]
    assert [r["title"] for r in rows] == ["Outlook crashes on start"]
