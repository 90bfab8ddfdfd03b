"""What every browser journey shares: signing in, moving through the menus by their labels,
and checking that a page shows people words, never the values the code stores."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from opsdesk.core.testing.factories import PASSWORD

# Each pattern is a way an internal value leaks into a page, with what it looks like.
INTERNAL_VALUES = [
    # A stored choice (in_progress, on_hold, awaiting_caller ...) instead of its label. Words
    # inside addresses, paths and file names (example.com/ingest/my_hook) are not text.
    (
        re.compile(r"(?<![\w/.@:=-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-]|\.\w)"),
        "a snake_case value",
    ),
    # Python's None printed for an empty field; "None recorded." is a sentence, not a leak.
    (re.compile(r"(?<![\w-])None(?![\w-])(?! [a-z])"), "None"),
    (re.compile(r"\{'|\[\{|\['|\{\""), "a dict or list repr"),
    (re.compile(r"<\w+(?:\.\w+)* object|object at 0x|\w+ object \(\d+\)"), "an object repr"),
]


def internal_values(text: str, allow: tuple[str, ...] = ()) -> list[str]:
    found = []
    for pattern, kind in INTERNAL_VALUES:
        for match in pattern.finditer(text):
            if match.group(0) in allow:
                continue
            start = max(0, match.start() - 40)
            found.append(f"{kind}: …{text[start : match.end() + 40]}…")
    return found


def assert_no_internal_values(page, *, allow: tuple[str, ...] = ()) -> None:
    """The visible text of the page holds no raw stored value, None or Python repr.

    ``allow`` names the few values a page shows on purpose (an API field name in a hint)."""
    page.wait_for_load_state()
    text = page.locator("body").inner_text()
    # Code samples (a curl line, a fingerprint) are literal on purpose.
    for sample in page.locator("pre, code").all_inner_texts():
        text = text.replace(sample, " ")
    leaks = internal_values(text, allow)
    assert not leaks, f"{page.url} shows internal values:\n" + "\n".join(leaks)


def sign_in(page, base: str, user):
    """Sign in from the login page: the one address a journey types in."""
    page.goto(base + reverse("core:login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    assert_no_internal_values(page)
    return page


def open_menu(page, menu: str, item: str) -> None:
    """Open a page of the top navigation: the menu, then the entry in it."""
    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_text(menu, exact=True).click()
    navigation.get_by_role("link", name=item, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_internal_values(page)


def disclose(page, summary: str) -> None:
    """Open a folded section (a <details>) by the words of its summary.

    Closed, its form's button may carry the same words, but only the summary is visible."""
    page.get_by_text(summary, exact=True).filter(visible=True).click()


def section(page, summary: str):
    """A folded section (a <details>, role group), found by its summary's words, opened."""
    disclose(page, summary)
    return page.get_by_role("group").filter(has=page.get_by_text(summary, exact=True)).last


def confirmed(page, text: str) -> None:
    """Wait for the confirmation an action shows, then check the page it left."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()
    assert_no_internal_values(page)


def pick(scope, label: str, typed: str, option: str) -> None:
    """Type into a search-as-you-type picker and choose the suggested option by its text."""
    field = scope.get_by_label(label)
    field.press_sequentially(typed)
    scope.get_by_role("option", name=option).first.click()
