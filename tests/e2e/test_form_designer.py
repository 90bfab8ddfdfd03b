"""In a real browser, an administrator designs a form: two fields, the second shown only for
one answer to the first. The preview, redrawn by the server, shows it once that answer is
chosen, and the saved form behaves the same."""

import re

import pytest

from opsdesk.core.models import FormSchema
from opsdesk.core.testing.factories import admin
from tests.e2e.screens import assert_no_internal_values, confirmed, open_menu, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_visible_if_field_appears_after_choosing_the_option(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    ada = admin(username="ada", display_name="Ada Admin")
    page = sign_in(new_page(), live_server.url, ada)
    open_menu(page, "Configuration", "Forms")
    expect(page.get_by_text("No forms yet")).to_be_visible()
    page.get_by_role("link", name="Design a new form").first.click()

    page.get_by_label(re.compile(r"^Name")).fill("New laptop")
    page.get_by_label("Slug").fill("new-laptop")
    first = page.get_by_test_id("field-row").nth(0)
    first.get_by_label(re.compile(r"^Label")).fill("What do you need?")
    first.get_by_label("Key").fill("category")
    first.get_by_label("Type").select_option(label="Single choice")
    first.get_by_label("Choices").fill("Laptop\nPhone")
    page.get_by_role("button", name="Add a field").click()

    second = page.get_by_test_id("field-row").nth(1)
    second.get_by_label(re.compile(r"^Label")).fill("Laptop model")
    second.get_by_label("Key").fill("model")
    second.get_by_label("Key").press("Tab")
    # Each change redraws the preview: first the new field, always shown ...
    preview = page.get_by_role("complementary").filter(has_text="Preview")
    expect(preview.get_by_label("Laptop model")).to_be_visible()
    second.get_by_label("Show when").fill("category == 'laptop'")
    second.get_by_label("Show when").press("Tab")
    # ... then shown only for laptops, and nothing is chosen yet.
    expect(preview.get_by_label("Laptop model")).to_have_count(0)
    question = preview.get_by_label("What do you need?")
    question.select_option(label="Laptop")
    expect(preview.get_by_label("Laptop model")).to_be_visible()
    question.select_option(label="Phone")
    expect(preview.get_by_label("Laptop model")).to_have_count(0)
    assert_no_internal_values(page)

    page.get_by_role("button", name="Save").click()
    confirmed(page, "is saved (version 1)")
    schema = FormSchema.objects.get(slug="new-laptop")
    assert [f["key"] for f in schema.fields] == ["category", "model"]
    assert schema.fields[1]["visible_if"] == "category == 'laptop'"
