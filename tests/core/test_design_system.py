"""The design system: its tokens read well in both themes, every app styles through them, the
theme switch remembers a choice, and the style guide is for administrators only."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import admin, agent, requester
from opsdesk.core.testing.views import browser_for

SRC = Path(__file__).resolve().parents[2] / "src" / "opsdesk"
TOKENS = SRC / "core" / "static" / "core" / "opsdesk.css"
DECLARATION = re.compile(r"(--[\w-]+):\s*([^;]+);")


def _block(css: str, opening: str) -> dict[str, str]:
    start = css.index(opening) + len(opening)
    return dict(DECLARATION.findall(css[start : css.index("}", start)]))


def themes() -> dict[str, dict[str, str]]:
    """Each theme's colour tokens, with those both themes share."""
    css = TOKENS.read_text()
    shared = _block(css, "\n:root {")
    return {
        "light": {**shared, **_block(css, ':root, [data-theme="light"] {')},
        "dark": {**shared, **_block(css, '[data-theme="dark"] {')},
        "dark (system)": {**shared, **_block(css, ':root:not([data-theme="light"]) {')},
    }


def luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# (text or indicator, background, least ratio): 4.5:1 for text, 3:1 for focus rings and the
# borders that show where a field is (WCAG 1.4.3, 1.4.11, 2.4.13).
PAIRS = [
    *[("fg", bg, 4.5) for bg in ("bg", "surface", "surface-2")],
    *[("muted", bg, 4.5) for bg in ("bg", "surface", "surface-2")],
    *[("accent", bg, 4.5) for bg in ("bg", "surface", "surface-2")],
    ("on-accent", "accent", 4.5),
    ("accent-fg", "accent-soft", 4.5),
    *[(tone, f"{tone}-soft", 4.5) for tone in ("ok", "warn", "danger", "wait", "neutral")],
    *[(f"on-sev-{s}", f"sev-{s}", 4.5) for s in ("critical", "major", "minor", "warning")],
    ("topbar-fg", "topbar-bg", 4.5),
    *[("focus", bg, 3) for bg in ("bg", "surface", "surface-2", "accent-soft")],
    ("topbar-fg", "topbar-bg", 3),
    *[("field-line", bg, 3) for bg in ("bg", "surface")],
]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(("text", "background", "least"), PAIRS)
def test_token_pairs_are_readable(theme, text, background, least):
    tokens = themes()[theme]
    ratio = contrast(tokens[f"--{text}"], tokens[f"--{background}"])
    assert ratio >= least, f"{theme}: {text} on {background} is {ratio:.2f}:1"


def test_the_dark_theme_is_the_same_chosen_or_followed():
    found = themes()
    assert found["dark"] == found["dark (system)"]
    assert set(found["dark"]) == set(found["light"])


def test_app_stylesheets_name_colours_only_through_tokens():
    written = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(")
    offenders = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in sorted(SRC.glob("*/static/*/*.css"))
        if path != TOKENS
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if written.search(line)
    ]
    assert not offenders, "colours written out instead of tokens:\n" + "\n".join(offenders)


@pytest.mark.django_db
class TestTheme:
    def choose(self, client, theme, next_url="/people/"):
        return client.post(reverse("core:theme"), {"theme": theme, "next": next_url})

    def test_dark_is_remembered_and_shown(self):
        client = browser_for(agent())
        response = self.choose(client, "dark")
        assert response.status_code == 302 and response["Location"] == "/people/"
        cookie = response.cookies["opsdesk_theme"]
        assert cookie.value == "dark" and cookie["httponly"] and cookie["max-age"]
        page = client.get(reverse("core:home")).content.decode()
        assert '<html lang="en" data-theme="dark">' in page
        assert re.search(r'value="dark" aria-pressed="true">Dark<', page)

    def test_match_system_forgets_the_choice(self):
        client = browser_for(agent())
        self.choose(client, "light")
        response = self.choose(client, "system")
        assert response.cookies["opsdesk_theme"].value == ""
        page = client.get(reverse("core:home")).content.decode()
        assert "data-theme" not in page.split("<head>")[0]
        assert re.search(r'value="system" aria-pressed="true">Match system<', page)

    def test_an_unknown_theme_is_refused(self):
        response = self.choose(browser_for(agent()), "neon")
        assert response.status_code == 400
        assert b"Match system, Light or Dark" in response.content

    def test_it_never_sends_anyone_off_site(self):
        response = self.choose(browser_for(agent()), "dark", next_url="https://evil.example/")
        assert response["Location"] == "/"

    def test_a_made_up_cookie_shows_the_system_theme(self):
        client = browser_for(agent())
        client.cookies["opsdesk_theme"] = '"><script>'
        page = client.get(reverse("core:home")).content.decode()
        assert "<script>" not in page.split("<head>")[0]
        assert '<html lang="en">' in page


@pytest.mark.django_db
class TestStyleGuide:
    def test_administrators_see_every_component_in_both_themes(self):
        page = browser_for(admin()).get(reverse("core:styleguide")).content.decode()
        assert page.count('class="theme-sample"') == 2
        assert 'data-theme="light"' in page and 'data-theme="dark"' in page
        for part in (
            'class="primary"',
            'class="secondary"',
            'class="danger"',
            'class="quiet"',
            "badge sev-major",
            "badge prio-1",
            "badge state-on_hold",
            'class="card"',
            'class="list"',
            'type="date"',
            'type="file"',
            "data-picker",
            "<select",
            "<fieldset>",
            "message success",
            "empty-state",
            "This field is required.",
        ):
            assert page.count(part) >= 2, part

    def test_administrators_find_it_in_the_menu(self):
        page = browser_for(admin()).get(reverse("core:home")).content.decode()
        assert f'href="{reverse("core:styleguide")}"' in page

    @pytest.mark.parametrize("make", [agent, requester])
    def test_agents_and_requesters_are_refused(self, make):
        response = browser_for(make()).get(reverse("core:styleguide"))
        assert response.status_code == 403

    def test_signed_out_visitors_are_sent_to_sign_in(self, client):
        response = client.get(reverse("core:styleguide"))
        assert response.status_code == 302 and reverse("core:login") in response["Location"]
