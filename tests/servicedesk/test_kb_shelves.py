"""Categories as a tree, and files attached to articles that only the right readers fetch."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsdesk.core.attachments import attachments_for
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite
from opsdesk.servicedesk import knowledge
from tests.servicedesk.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def upload(name="steps.txt", data=b"1. Restart\n2. Retry\n"):
    return SimpleUploadedFile(name, data)


def test_categories_nest_and_list_as_a_tree(desk_agent):
    software = knowledge.category_create(actor=desk_agent, name="Software")
    email = knowledge.category_create(actor=desk_agent, name="Email", parent=software)
    knowledge.category_create(actor=desk_agent, name="Hardware")
    assert str(email) == "Software > Email"
    tree = [(depth, c.name) for depth, c in knowledge.category_tree()]
    assert tree == [(0, "Hardware"), (0, "Software"), (1, "Email")]


def test_category_names_are_unique_where_they_sit(desk_agent):
    software = knowledge.category_create(actor=desk_agent, name="Software")
    knowledge.category_create(actor=desk_agent, name="Email", parent=software)
    knowledge.category_create(actor=desk_agent, name="Email")  # elsewhere: fine
    for parent in (software, None):
        with pytest.raises(ValidationFailed):
            knowledge.category_create(actor=desk_agent, name="Email", parent=parent)


def test_a_category_cannot_sit_inside_itself(desk_agent):
    top = knowledge.category_create(actor=desk_agent, name="Top")
    child = knowledge.category_create(actor=desk_agent, name="Child", parent=top)
    with pytest.raises(ValidationFailed) as refused:
        knowledge.category_update(actor=desk_agent, category=top, parent=child)
    assert "parent" in refused.value.fields
    top.refresh_from_db()
    assert top.parent is None


def test_requesters_cannot_write_categories(alice):
    with pytest.raises(NotPermitted):
        knowledge.category_create(actor=alice, name="Mine")


class TestCategoryAPI(APICrudSuite):
    basename = "kb-category"
    factory = CategoryFactory
    create_data = {"name": "Network"}
    update_data = {"description": "Wifi, VPN and cabling"}
    invalid_data = {"name": ""}
    reader_roles = [Role.AGENT, Role.REQUESTER]
    writer_roles = [Role.AGENT]
    outsider_roles = []


def test_article_shows_its_category(client, alice, desk_agent):
    article = ArticleFactory(category=CategoryFactory(name="Network"))
    client.force_login(alice)
    page = client.get(reverse("servicedesk:kb-article", args=[article.number])).content
    assert b"Network" in page


@pytest.mark.parametrize(
    ("state", "audience", "requester_may"),
    [
        ("published", "public", True),
        ("published", "internal", False),
        ("draft", "public", False),
        ("review", "public", False),
        ("retired", "public", False),
    ],
)
def test_who_may_fetch_an_article_file(client, alice, desk_agent, state, audience, requester_may):
    article = ArticleFactory(state=state, audience=audience)
    stored = knowledge.article_attach(actor=desk_agent, article=article, upload=upload())
    url = reverse("core:attachment-download", args=[stored.pk])
    client.force_login(desk_agent)
    assert client.get(url).status_code == 200
    client.force_login(alice)
    assert client.get(url).status_code == (200 if requester_may else 404)
    assert article.is_visible_to(alice) is requester_may


def test_agent_attaches_on_the_page_and_readers_see_the_link(client, alice, desk_agent):
    article = ArticleFactory()
    client.force_login(desk_agent)
    response = client.post(
        reverse("servicedesk:kb-attach", args=[article.pk]), {"file": upload("guide.txt")}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="article.attached").exists()
    client.force_login(alice)
    page = client.get(reverse("servicedesk:kb-article", args=[article.number])).content
    assert b"guide.txt" in page


def test_bad_uploads_are_refused_without_a_file_stored(client, alice, desk_agent):
    article = ArticleFactory()
    client.force_login(desk_agent)
    empty = client.post(
        reverse("servicedesk:kb-attach", args=[article.pk]), {"file": upload(data=b"")}
    )
    assert empty.status_code == 400
    client.force_login(alice)
    with pytest.raises(NotPermitted):
        knowledge.article_attach(actor=alice, article=article, upload=upload())
    assert (
        client.post(
            reverse("servicedesk:kb-attach", args=[article.pk]), {"file": upload()}
        ).status_code
        == 403
    )
    assert not attachments_for(record=article).exists()
