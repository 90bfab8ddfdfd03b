"""In a real browser, the design system's promises: the top menus close on Escape, every
focus ring stands out from what is behind it (3:1 or better) in both themes, and the theme
chosen in the user menu sticks."""

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import TeamFactory, admin, agent, requester
from opsdesk.incidents import services as incidents
from tests.e2e.screens import open_menu, sign_in

expect = pytest.importorskip("playwright.sync_api").expect

# For the element that has focus: its outline and the colour behind that outline (the nearest
# painted ancestor, semi-transparent layers blended), or None once focus has left the page.
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const rgba = (text) => {
    const n = text.match(/[\\d.]+/g).map(Number);
    return n.length === 3 ? [...n, 1] : n;
  };
  const layers = [];
  const style = getComputedStyle(el);
  // A ring drawn inside the element (negative offset) sits on the element's own fill.
  let node = parseFloat(style.outlineOffset) < 0 ? el : el.parentElement;
  for (; node; node = node.parentElement) {
    const fill = rgba(getComputedStyle(node).backgroundColor);
    if (fill[3] > 0) layers.push(fill);
    if (fill[3] >= 1) break;
  }
  let behind = [255, 255, 255];
  for (const [r, g, b, a] of layers.reverse()) {
    behind = [r, g, b].map((v, i) => v * a + behind[i] * (1 - a));
  }
  const name = el.getAttribute("aria-label") || el.textContent || el.name || "";
  const label = (el.tagName.toLowerCase() + " " + name).trim().slice(0, 60);
  return {label, style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          ring: rgba(style.outlineColor).slice(0, 3), behind};
}"""


def contrast(a, b) -> float:
    def luminance(rgb):
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def weak_focus_rings(page, limit: int = 150) -> tuple[int, list[str]]:
    """Tab through the page from the top: how many stops, and those whose ring is too weak."""
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("Tab")  # keyboard use, so :focus-visible applies from here on
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops, weak, seen = 0, [], set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring is None:
            break
        key = page.evaluate("document.activeElement.outerHTML.slice(0, 300)")
        if key in seen:
            break
        seen.add(key)
        stops += 1
        ratio = contrast(ring["ring"], ring["behind"])
        if ring["style"] in ("none", "hidden") or ring["width"] < 2 or ratio < 3:
            weak.append(f"{ring['label']!r}: {ring['style']} {ring['width']}px, {ratio:.2f}:1")
    return stops, weak


@pytest.fixture
def desk(db):
    team = TeamFactory(name="Service Desk")
    dana = agent(username="dana", display_name="Dana Dubois")
    team.members.add(dana)
    alice = requester(username="alice", display_name="Alice Archer")
    incident = incidents.incident_open(
        actor=alice, caller=alice, short_description="VPN drops after an hour"
    )
    return {"agent": dana, "requester": alice, "incident": incident}


def test_top_menus_close_on_escape(
    django_db_serialized_rollback, transactional_db, live_server, page, desk
):
    sign_in(page, live_server.url, desk["agent"])
    navigation = page.get_by_role("navigation", name="Main")
    menu = navigation.locator("summary", has_text="Service desk")
    incidents_link = navigation.get_by_role("link", name="Incidents", exact=True)

    # By keyboard: open, step into the menu, Escape closes it and focus returns to its name.
    menu.focus()
    page.keyboard.press("Enter")
    expect(incidents_link).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(incidents_link).to_be_hidden()
    expect(menu).to_be_focused()

    # Opened by pointer, Escape still closes it; so does a click elsewhere.
    menu.click()
    expect(incidents_link).to_be_visible()
    page.keyboard.press("Escape")
    expect(incidents_link).to_be_hidden()
    menu.click()
    page.mouse.click(1200, 700)  # somewhere outside the menu
    expect(incidents_link).to_be_hidden()

    # The user menu too.
    page.get_by_test_id("user-name").click()
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    page.keyboard.press("Escape")
    expect(sign_out).to_be_hidden()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_focus_ring_stands_out(
    django_db_serialized_rollback, transactional_db, live_server, new_page, desk, scheme
):
    page = new_page()
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server.url, desk["agent"])
    pages = [
        reverse("core:home"),
        reverse("incidents:queue-default"),
        reverse("incidents:detail", args=[desk["incident"].pk]),
    ]
    for path in pages:
        page.goto(live_server.url + path)
        stops, weak = weak_focus_rings(page)
        assert stops > 5, f"{path}: only {stops} focus stops"
        assert not weak, f"{path} ({scheme}): weak focus rings:\n" + "\n".join(weak)

    portal = new_page(phone=True)
    portal.emulate_media(color_scheme=scheme)
    sign_in(portal, live_server.url, desk["requester"])
    stops, weak = weak_focus_rings(portal)
    assert stops > 3 and not weak, f"portal ({scheme}): weak focus rings:\n" + "\n".join(weak)


def test_the_theme_chosen_in_the_user_menu_sticks(
    django_db_serialized_rollback, transactional_db, live_server, page, desk
):
    background = "getComputedStyle(document.body).backgroundColor"
    page.emulate_media(color_scheme="light")
    sign_in(page, live_server.url, desk["agent"])
    light = page.evaluate(background)

    page.get_by_test_id("user-name").click()
    page.get_by_role("group", name="Theme").get_by_role("button", name="Dark").click()
    page.wait_for_load_state()
    dark = page.evaluate(background)
    assert dark != light
    open_menu(page, "Service desk", "Incidents")
    assert page.evaluate(background) == dark  # remembered on the next page

    page.get_by_test_id("user-name").click()
    theme = page.get_by_role("group", name="Theme")
    expect(theme.get_by_role("button", name="Dark")).to_have_attribute("aria-pressed", "true")
    theme.get_by_role("button", name="Match system").click()
    page.wait_for_load_state()
    assert page.evaluate(background) == light
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(background) == dark  # following the device again


def test_style_guide_shows_both_themes(
    django_db_serialized_rollback, transactional_db, live_server, page
):
    page.emulate_media(color_scheme="light")
    sign_in(page, live_server.url, admin(username="ada"))
    open_menu(page, "Configuration", "Style guide")
    light = page.get_by_role("region", name="Light theme")
    dark = page.get_by_role("region", name="Dark theme")
    fill = "el => getComputedStyle(el).backgroundColor"
    assert light.evaluate(fill) != dark.evaluate(fill)
    for pane in (light, dark):
        expect(pane.get_by_role("button", name="Primary")).to_be_visible()
        expect(pane.get_by_label("Due date")).to_have_attribute("type", "date")
        expect(pane.get_by_text("This field is required.")).to_be_visible()
