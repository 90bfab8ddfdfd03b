"""Form pages: the fields re-rendered by the server as answers change, the record pickers,
and the designer (catalog managers and administrators only) with its live preview."""

import pytest
from django.urls import reverse

from opsdesk.core.formschema import form_schema_save
from opsdesk.core.models import AuditEntry, FormSchema
from opsdesk.core.testing.factories import admin, agent, requester
from tests.cmdb.factories import CIFactory, business_service

pytestmark = pytest.mark.django_db

FIELDS = [
    {
        "key": "category",
        "label": "What do you need?",
        "type": "single_choice",
        "required": True,
        "choices": [
            {"value": "laptop", "label": "A laptop"},
            {"value": "phone", "label": "A phone"},
        ],
    },
    {
        "key": "model",
        "label": "Laptop model",
        "type": "text",
        "visible_if": "category == 'laptop'",
        "required": True,
        "help": "As printed under the keyboard.",
    },
    {
        "key": "delivery",
        "label": "Delivery",
        "type": "single_choice",
        "default": "post",
        "readonly_if": "category == 'phone'",
        "choices": [
            {"value": "post", "label": "By post"},
            {"value": "desk", "label": "To the desk"},
        ],
    },
    {
        "key": "extras",
        "label": "Extras",
        "type": "multiple_choice",
        "choices": [{"value": "bag", "label": "Carry bag"}],
    },
    {"key": "urgent", "label": "Urgent", "type": "checkbox"},
    {"key": "server", "label": "Server", "type": "ci"},
]


@pytest.fixture
def laptop_form():
    return form_schema_save(actor=admin(), name="Laptop", slug="laptop", fields=FIELDS)


def login(client, user):
    client.force_login(user)
    return client


def render(client, slug, data, prefix=""):
    url = reverse("core:formschema-render", args=[slug])
    return client.post(url + (f"?prefix={prefix}" if prefix else ""), data)


def test_the_section_shows_a_field_once_its_condition_holds(client, laptop_form):
    login(client, requester())
    before = render(client, "laptop", {"category": ""})
    assert before.status_code == 200
    html = before.content.decode()
    assert "What do you need?" in html and "Laptop model" not in html
    assert 'hx-trigger="change"' in html and 'hx-post="/forms/laptop/render/"' in html
    assert '<label for="id_category" class="required">' in html
    after = render(client, "laptop", {"category": "laptop"}).content.decode()
    assert "Laptop model" in after and "As printed under the keyboard." in after
    # Choice labels, never stored values, are what people read.
    assert ">A laptop</option>" in after and ">By post</option>" in after


def test_a_read_only_field_shows_its_default_whatever_was_sent(client, laptop_form):
    login(client, requester())
    html = render(client, "laptop", {"category": "phone", "delivery": "desk"}).content.decode()
    assert '<select name="delivery" disabled id="id_delivery">' in html
    assert '<option value="post" selected>By post</option>' in html


def test_a_prefix_names_the_inputs(client, laptop_form):
    login(client, requester())
    html = render(client, "laptop", {"item-category": "laptop"}, prefix="item").content.decode()
    assert 'name="item-model"' in html and "/forms/laptop/render/?prefix=item" in html


def test_the_render_view_needs_a_signed_in_user_and_a_known_form(client, laptop_form):
    assert render(client, "laptop", {}).status_code == 302
    login(client, requester())
    assert render(client, "nope", {}).status_code == 404
    assert client.get(reverse("core:formschema-render", args=["laptop"])).status_code == 405


def test_the_ci_picker_offers_what_the_viewer_may_see(client):
    CIFactory(name="erp-db-01")
    business_service("ERP")
    url = reverse("core:formschema-pick")
    login(client, requester())
    html = client.get(url, {"type": "ci", "q": "erp"}).content.decode()
    assert "ERP" in html and "erp-db-01" not in html
    login(client, agent())
    html = client.get(url, {"type": "ci", "q": "erp"}).content.decode()
    assert "erp-db-01" in html
    assert client.get(url, {"type": "nothing", "q": "x"}).status_code == 404


# --- the designer ------------------------------------------------------------------------------
def designer_post(**overrides):
    data = {
        "name": "Phone request",
        "slug": "phone",
        "description": "",
        "version": "",
        "fields-TOTAL_FORMS": "2",
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
        "fields-0-key": "model",
        "fields-0-label": "Phone model",
        "fields-0-type": "single_choice",
        "fields-0-choices": "iPhone\nfairphone | Fairphone 5",
        "fields-0-required": "on",
        "fields-0-ORDER": "2",
        "fields-1-key": "number",
        "fields-1-label": "Keep my number",
        "fields-1-type": "checkbox",
        "fields-1-ORDER": "1",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("make", [requester, agent])
def test_requesters_and_agents_may_not_design_forms(client, make, laptop_form):
    login(client, make())
    for url in (
        reverse("core:formschema-list"),
        reverse("core:formschema-create"),
        reverse("core:formschema-edit", args=["laptop"]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("core:formschema-create"), designer_post()).status_code == 403
    assert client.post(reverse("core:formschema-preview"), designer_post()).status_code == 403
    assert not FormSchema.objects.filter(slug="phone").exists()


def test_an_admin_lists_creates_and_edits_a_form(client, laptop_form):
    login(client, admin())
    listing = client.get(reverse("core:formschema-list")).content.decode()
    assert "Laptop" in listing and "Design a new form" in listing
    response = client.post(reverse("core:formschema-create"), designer_post(), follow=True)
    assert response.status_code == 200
    assert "Form Phone request is saved (version 1)." in response.content.decode()
    schema = FormSchema.objects.get(slug="phone")
    # Rows are kept in the order of their positions.
    assert schema.fields == [
        {"key": "number", "label": "Keep my number", "type": "checkbox"},
        {
            "key": "model",
            "label": "Phone model",
            "type": "single_choice",
            "required": True,
            "choices": [
                {"value": "iphone", "label": "iPhone"},
                {"value": "fairphone", "label": "Fairphone 5"},
            ],
        },
    ]
    page = client.get(reverse("core:formschema-edit", args=["phone"])).content.decode()
    assert 'value="Phone model"' in page and "iPhone\nfairphone | Fairphone 5" in page
    assert "Preview" in page and "Keep my number" in page

    edit = designer_post(
        **{
            "version": "1",
            "fields-INITIAL_FORMS": "2",
            "fields-1-DELETE": "on",
            "fields-0-help": "The one on the box.",
        }
    )
    response = client.post(reverse("core:formschema-edit", args=["phone"]), edit, follow=True)
    assert "is saved (version 2)" in response.content.decode()
    schema.refresh_from_db()
    assert [f["key"] for f in schema.fields] == ["model"]
    assert schema.fields[0]["help"] == "The one on the box."
    # A condition naming the removed field is refused, and the form stays as it was.
    again = designer_post(
        **{
            "version": "2",
            "fields-INITIAL_FORMS": "1",
            "fields-TOTAL_FORMS": "1",
            "fields-0-visible_if": "number",
        }
    )
    response = client.post(reverse("core:formschema-edit", args=["phone"]), again)
    assert response.status_code == 400
    assert "Show when: there is no field called number." in response.content.decode()
    schema.refresh_from_db()
    assert schema.version == 2


def test_a_bad_definition_gives_form_errors_and_writes_nothing(client):
    login(client, admin())
    bad = designer_post(**{"fields-1-key": "model", "fields-0-visible_if": "number =="})
    response = client.post(reverse("core:formschema-create"), bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Another field already has the key &#x27;model&#x27;." in html
    assert "Show when: Expected a value, found the end at character 10." in html
    assert not FormSchema.objects.exists()
    assert not AuditEntry.objects.filter(object_type="core.formschema").exists()


def test_adding_a_field_redraws_the_page_with_an_empty_row(client):
    login(client, admin())
    response = client.post(reverse("core:formschema-create"), designer_post(add_field="1"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="field-row"') == 3
    assert "This field is required." not in response.content.decode()
    assert not FormSchema.objects.exists()


def test_the_preview_follows_the_rows_being_edited(client):
    login(client, admin())
    url = reverse("core:formschema-preview")
    html = client.post(url, designer_post(**{"fields-0-visible_if": "number"})).content.decode()
    assert ">Keep my number:</label>" in html and ">Phone model:</label>" not in html
    assert 'name="_definition"' in html
    # The preview's own answers redraw it from the definition it carries.
    definition = html.split('name="_definition" value="')[1].split('"')[0]
    import html as html_lib

    answered = client.post(
        url, {"_definition": html_lib.unescape(definition), "preview-number": "on"}
    ).content.decode()
    assert ">Phone model:</label>" in answered
    broken = client.post(url, designer_post(**{"fields-0-visible_if": "ghost"})).content.decode()
    assert "there is no field called ghost" in broken
    assert client.post(url, {"_definition": "{not json"}).status_code == 400


def test_a_template_shows_a_form_with_the_tag(rf, laptop_form):
    from django.template import Context, Template

    from opsdesk.core.formschema import evaluate

    request = rf.get("/")
    request.user = requester()
    template = Template(
        "{% load formschema %}<form>{% form_section schema answers errors prefix='item' %}</form>"
    )
    html = template.render(
        Context(
            {
                "request": request,
                "schema": laptop_form,
                "answers": {"item-category": "laptop"},
                "errors": {"model": ["This field is required."]},
            }
        )
    )
    assert 'name="item-model"' in html and "This field is required." in html
    assert evaluate(laptop_form, {"category": "phone"})["model"].visible is False


@pytest.mark.parametrize("extra", [{}, {"add_field": "1"}])
def test_a_tampered_designer_post_is_a_form_error_not_a_server_error(client, extra):
    login(client, admin())
    data = {"name": "X", "slug": "x", "fields-TOTAL_FORMS": "lots", **extra}
    response = client.post(reverse("core:formschema-create"), data)
    assert response.status_code in (200, 400)
    assert not FormSchema.objects.exists()
