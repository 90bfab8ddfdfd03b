"""In a real browser: the dependency graph of a CI is readable — the CI in focus is light text
on its dark box, and no relationship label runs under a node."""

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import PASSWORD, agent
from opsdesk.incidents.testing import depends, make_ci

expect = pytest.importorskip("playwright.sync_api").expect


def _luminance(rgb: str) -> float:
    r, g, b = (int(part) / 255 for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_graph_focus_node_is_readable_and_labels_are_not_clipped(
    django_db_serialized_rollback, transactional_db, live_server, page
):
    user = agent(username="dana", display_name="Dana Dubois")
    app = make_ci("payroll-engine", "application")
    depends(make_ci("Payroll", "business_service"), app)
    depends(app, make_ci("vm-payroll-01"), "runs_on")
    depends(app, make_ci("payroll-db"), "connects_to")

    page.goto(live_server.url + reverse("core:login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_text("Configuration").click()
    page.get_by_role("link", name="Services & CIs").click()
    page.get_by_role("link", name="payroll-engine").first.click()
    graph = page.get_by_role("img", name="Dependency graph of payroll-engine")
    expect(graph).to_be_visible()

    focus = graph.locator(".ci-graph-node.focus")
    text_fill = focus.locator("text.name").evaluate("el => getComputedStyle(el).fill")
    box_fill = focus.locator("rect").evaluate("el => getComputedStyle(el).fill")
    assert _luminance(text_fill) - _luminance(box_fill) > 0.5, (text_fill, box_fill)

    nodes = [n.bounding_box() for n in graph.locator(".ci-graph-node rect").all()]
    labels = graph.locator(".ci-graph-edge text").all()
    assert {label.text_content() for label in labels} == {"depends on", "runs on", "connects to"}
    for label in labels:
        box = label.bounding_box()
        for node in nodes:
            overlaps = (
                box["x"] < node["x"] + node["width"]
                and node["x"] < box["x"] + box["width"]
                and box["y"] < node["y"] + node["height"]
                and node["y"] < box["y"] + box["height"]
            )
            assert not overlaps, f"{label.text_content()!r} runs under a node"
