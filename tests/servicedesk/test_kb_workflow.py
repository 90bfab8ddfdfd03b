"""The article lifecycle: every allowed and every refused move, and who may make it."""

import pytest
from django.urls import reverse

from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import OutboxEvent
from opsdesk.core.testing.api import assert_error_shape
from opsdesk.core.testing.factories import admin, agent
from opsdesk.servicedesk import knowledge
from opsdesk.servicedesk.models import ArticleState
from opsdesk.servicedesk.workflow import ARTICLE_WORKFLOW
from tests.servicedesk.factories import ArticleFactory

pytestmark = pytest.mark.django_db

ALLOWED = {
    ("draft", "submit"): "review",
    ("review", "rework"): "draft",
    ("review", "publish"): "published",
    ("published", "retire"): "retired",
}
ACTIONS = ["submit", "rework", "publish", "retire"]
EVERY_MOVE = [(state, action) for state in ArticleState.values for action in ACTIONS]


@pytest.fixture
def author(db):
    return agent(username="writer")


@pytest.fixture
def reviewer(db):
    return agent(username="reviewer")


@pytest.mark.parametrize(("state", "action"), [m for m in EVERY_MOVE if m in ALLOWED])
def test_allowed_moves(state, action, author, reviewer):
    article = ArticleFactory(state=state, author=author)
    moved = knowledge.article_transition(actor=reviewer, article=article, action=action)
    assert moved.state == ALLOWED[(state, action)]
    assert OutboxEvent.objects.filter(topic=f"servicedesk.article_{moved.state}").exists()


@pytest.mark.parametrize(("state", "action"), [m for m in EVERY_MOVE if m not in ALLOWED])
def test_refused_moves_leave_the_article_alone(state, action, author, reviewer):
    article = ArticleFactory(state=state, author=author)
    with pytest.raises(TransitionRefused):
        knowledge.article_transition(actor=reviewer, article=article, action=action)
    article.refresh_from_db()
    assert article.state == state and article.version == 1


def test_the_table_is_exactly_the_allowed_moves():
    table = {(s, t.name): t.target for t in ARTICLE_WORKFLOW.transitions for s in t.sources}
    assert table == ALLOWED


def test_an_author_cannot_publish_their_own_article(author):
    article = ArticleFactory(state="review", author=author)
    with pytest.raises(TransitionRefused) as refusal:
        knowledge.article_transition(actor=author, article=article, action="publish")
    assert "author" in refusal.value.fields
    article.refresh_from_db()
    assert article.state == "review" and article.published_at is None


def test_an_administrator_may_publish_what_they_wrote():
    boss = admin(username="boss")
    article = ArticleFactory(state="review", author=boss)
    published = knowledge.article_transition(actor=boss, article=article, action="publish")
    assert published.state == "published" and published.published_at is not None


@pytest.mark.parametrize("action", ACTIONS)
def test_requesters_move_nothing(alice, action):
    article = ArticleFactory(state="review")
    with pytest.raises(NotPermitted):
        knowledge.article_transition(actor=alice, article=article, action=action)


def test_new_articles_are_drafts_and_edits_do_not_change_state(author):
    with pytest.raises(ValidationFailed) as refused:
        knowledge.article_create(actor=author, title="T", body="B", state="published")
    assert "state" in refused.value.fields
    article = knowledge.article_create(actor=author, title="T", body="B")
    assert article.state == "draft"
    with pytest.raises(ValidationFailed) as refused:
        knowledge.article_update(actor=author, article=article, state="published")
    assert "state" in refused.value.fields


def test_api_transition_and_refusals(api, author, reviewer):
    article = ArticleFactory(state="draft", author=author)
    url = reverse("kb-article-transition", args=[article.pk])
    assert api(author).post(url, {"action": "submit"}, format="json").json()["state"] == "review"
    assert_error_shape(api(author).post(url, {"action": "publish"}, format="json"), 400, "author")
    assert_error_shape(api(reviewer).post(url, {"action": "retire"}, format="json"), 400, "state")
    assert_error_shape(api(reviewer).post(url, {"action": "explode"}, format="json"), 400)
    body = api(reviewer).post(url, {"action": "publish"}, format="json").json()
    assert body["state"] == "published" and body["published_at"]
    stale = api(reviewer).post(url, {"action": "retire", "version": 1}, format="json")
    assert_error_shape(stale, 409)


def test_api_edit_cannot_change_state(api, author):
    article = ArticleFactory(state="draft", author=author)
    url = reverse("kb-article-detail", args=[article.pk])
    response = api(author).patch(url, {"state": "published", "body": "New"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "draft"


def test_the_page_offers_only_the_moves_allowed_from_here(client, author, reviewer):
    article = ArticleFactory(state="published", author=author)
    client.force_login(reviewer)
    page = client.get(reverse("servicedesk:kb-detail", args=[article.pk])).content.decode()
    assert "Retire" in page and "Send for review" not in page and ">Publish<" not in page
    refused = client.post(reverse("servicedesk:kb-state", args=[article.pk, "submit"]), follow=True)
    assert "Cannot submit" in refused.content.decode()
    assert (
        client.post(reverse("servicedesk:kb-state", args=[article.pk, "nonsense"])).status_code
        == 404
    )
