"""The UI foundation: sign-in and lockout, security headers, CSRF, profile and time zone,
password change, API tokens, the start page, and markdown rendering."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from opsdesk.core.models import ApiToken, AuditEntry
from opsdesk.core.services import token_authenticate, token_create
from opsdesk.core.testing.factories import PASSWORD, TeamFactory, admin, agent, requester
from opsdesk.core.testing.views import browser_for
from opsdesk.core.timeline import render_markdown

pytestmark = pytest.mark.django_db


def sign_in(client, username, password, **extra):
    return client.post(reverse("core:login"), {"username": username, "password": password}, **extra)


# --- sign-in, lockout, sign-out ----------------------------------------------------------------
def test_sign_in_lands_on_home_with_the_users_name():
    user = agent(display_name="Priya Patel")
    client = Client()
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    home = client.get(reverse("core:home"))
    assert "Welcome, Priya Patel" in home.content.decode()


def test_wrong_password_says_so_and_stays_on_the_page():
    user = agent()
    response = sign_in(Client(), user.username, "wrong")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_sixth_attempt_after_five_failures_is_locked_out_even_with_the_right_password():
    user = agent()
    client = Client()
    for _ in range(5):
        sign_in(client, user.username, "wrong")
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_address():
    user = agent()
    for _ in range(5):
        sign_in(Client(), user.username, "wrong", REMOTE_ADDR="10.0.0.9")
    elsewhere = sign_in(Client(), user.username, PASSWORD, REMOTE_ADDR="10.0.0.10")
    assert elsewhere.status_code == 302


def test_a_successful_sign_in_resets_the_failure_count():
    user = agent()
    client = Client()
    for _ in range(4):
        sign_in(client, user.username, "wrong")
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    client.post(reverse("core:logout"))
    for _ in range(4):
        sign_in(client, user.username, "wrong")
    # Eight failures in all, but never five in a row: still allowed in.
    assert sign_in(client, user.username, PASSWORD).status_code == 302


def test_sign_out_is_post_only_and_lands_on_sign_in():
    client = browser_for(agent())
    assert client.get(reverse("core:logout")).status_code == 405
    response = client.post(reverse("core:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("core:login")
    assert client.get(reverse("core:home")).status_code == 302


def test_signed_in_user_visiting_sign_in_goes_home():
    response = browser_for(agent()).get(reverse("core:login"))
    assert response.status_code == 302 and response["Location"] == reverse("core:home")


# --- security headers and CSRF -----------------------------------------------------------------
def test_pages_carry_the_security_headers():
    response = Client().get(reverse("core:login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style():
    """The strict CSP would block them in the browser, so none may exist."""
    user = admin()
    team = TeamFactory()
    client = browser_for(user)
    for url in [
        reverse("core:home"),
        reverse("core:profile"),
        reverse("core:password-change"),
        reverse("core:token-list"),
        reverse("core:user-list"),
        reverse("core:user-detail", kwargs={"pk": user.pk}),
        reverse("core:user-create"),
        reverse("core:team-list"),
        reverse("core:team-detail", kwargs={"pk": team.pk}),
        reverse("core:team-edit", kwargs={"pk": team.pk}),
    ]:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html and "<style" not in html, url
        assert "//cdn" not in html, url


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_token_of(client, url) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def test_sign_out_without_csrf_token_is_refused():
    client = csrf_client(agent())
    assert client.post(reverse("core:logout")).status_code == 403
    assert client.get(reverse("core:home")).status_code == 200  # still signed in
    token = csrf_token_of(client, reverse("core:home"))
    assert client.post(reverse("core:logout"), {"csrfmiddlewaretoken": token}).status_code == 302


def test_forms_without_csrf_token_are_refused():
    user = admin()
    client = csrf_client(user)
    assert client.post(reverse("core:profile"), {"display_name": "X"}).status_code == 403
    response = client.post(reverse("core:team-create"), {"name": "Forged", "type": "technical"})
    assert response.status_code == 403
    assert client.post(reverse("core:token-list"), {"name": "forged"}).status_code == 403
    assert not ApiToken.objects.exists()
    token = csrf_token_of(client, reverse("core:profile"))
    body = {"csrfmiddlewaretoken": token, "name": "Real", "type": "technical"}
    assert client.post(reverse("core:team-create"), body).status_code == 302


def test_sign_in_form_enforces_csrf():
    user = agent()
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, user.username, PASSWORD).status_code == 403


# --- profile, time zone, password ---------------------------------------------------------------
def test_times_are_shown_in_the_users_time_zone():
    user = agent(time_zone="Asia/Tokyo")
    token, _ = token_create(actor=user, user=user, name="nightly export")
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=datetime(2025, 1, 15, 23, 30, tzinfo=UTC)
    )
    html = browser_for(user).get(reverse("core:token-list")).content.decode()
    assert "2025-01-16 08:30 JST" in html  # 23:30 UTC is 08:30 the next day in Tokyo


def test_profile_update_changes_the_time_zone_and_is_audited():
    user = requester(time_zone="Europe/London")
    client = browser_for(user)
    response = client.post(
        reverse("core:profile"),
        {
            "display_name": "Sam Doe",
            "phone": "+1 555 0100",
            "time_zone": "America/New_York",
            "version": user.version,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.time_zone) == ("Sam Doe", "America/New_York")
    assert AuditEntry.objects.filter(action="user.profile_updated", object_id=str(user.pk)).exists()
    page = client.get(response["Location"])
    assert "Your profile is saved." in page.content.decode()
    assert "America/New_York" in page.content.decode()


def test_profile_ignores_fields_that_are_not_the_users_to_change():
    user = requester(department="Finance")
    browser_for(user).post(
        reverse("core:profile"),
        {
            "display_name": "Sam",
            "time_zone": "UTC",
            "department": "IT",
            "is_staff": "on",
            "version": user.version,
        },
    )
    user.refresh_from_db()
    assert user.department == "Finance" and not user.is_staff


def test_stale_profile_edit_is_refused():
    user = requester()
    response = browser_for(user).post(
        reverse("core:profile"),
        {"display_name": "Late", "time_zone": "UTC", "version": user.version - 1 or 99},
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    user.refresh_from_db()
    assert user.display_name != "Late"


def test_unknown_time_zone_is_a_field_error():
    user = requester()
    response = browser_for(user).post(
        reverse("core:profile"), {"time_zone": "Mars/Olympus", "version": user.version}
    )
    assert "time_zone" in response.context["form"].errors


def test_password_change_shows_a_success_message_and_the_new_password_works():
    user = agent()
    client = browser_for(user)
    new = "a brand new passphrase 7"
    response = client.post(
        reverse("core:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert "Your password is changed." in response.content.decode()
    assert client.get(reverse("core:home")).status_code == 200  # still signed in
    assert sign_in(Client(), user.username, new).status_code == 302


def test_password_change_with_wrong_old_password_is_refused():
    user = agent()
    response = browser_for(user).post(
        reverse("core:password-change"),
        {"old_password": "nope", "new_password1": "x" * 20, "new_password2": "x" * 20},
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- start page -------------------------------------------------------------------------------
def test_agent_home_lists_their_teams():
    user = agent()
    team = TeamFactory(name="Network Operations")
    team.members.add(user)
    html = browser_for(user).get(reverse("core:home")).content.decode()
    assert "Your teams" in html and "Network Operations" in html


def test_agent_without_a_team_is_told_what_to_do():
    html = browser_for(agent()).get(reverse("core:home")).content.decode()
    assert "not in a support team yet" in html


def test_requester_lands_on_the_portal_without_agent_navigation():
    response = browser_for(requester()).get(reverse("core:home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("servicedesk:home")
    html = response.content.decode()
    assert reverse("core:profile") in html
    assert reverse("core:user-list") not in html


def test_navigation_shows_agent_pages_to_agents():
    html = browser_for(agent()).get(reverse("core:home")).content.decode()
    assert f'href="{reverse("core:user-list")}"' in html
    assert f'href="{reverse("core:team-list")}"' in html


# --- API tokens -------------------------------------------------------------------------------
def test_token_is_created_and_its_secret_shown_once():
    user = agent()
    client = browser_for(user)
    response = client.post(
        reverse("core:token-list"), {"name": "monitoring", "read_only": "on", "expires_in_days": 30}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret and secret in response.content.decode()
    token = token_authenticate(secret)
    assert token.user == user and token.read_only and token.expires_at is not None
    again = client.get(reverse("core:token-list")).content.decode()
    assert secret not in again and "monitoring" in again


def test_token_with_bad_expiry_is_a_field_error():
    user = agent()
    response = browser_for(user).post(
        reverse("core:token-list"), {"name": "bad", "expires_in_days": 0}
    )
    assert "expires_in_days" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_revoke_own_token_stops_it_working():
    user = requester()
    token, secret = token_create(actor=user, user=user, name="script")
    response = browser_for(user).post(reverse("core:token-revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 302
    assert token_authenticate(secret) is None


def test_others_tokens_are_invisible_and_cannot_be_revoked():
    owner, other = agent(), agent()
    token, secret = token_create(actor=owner, user=owner, name="owner-only")
    client = browser_for(other)
    assert "owner-only" not in client.get(reverse("core:token-list")).content.decode()
    response = client.post(reverse("core:token-revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 404
    assert token_authenticate(secret) is not None


def test_administrator_sees_everyones_tokens():
    owner = agent()
    token_create(actor=owner, user=owner, name="owner-token")
    client = browser_for(admin())
    assert "owner-token" not in client.get(reverse("core:token-list")).content.decode()
    assert "owner-token" in client.get(reverse("core:token-list"), {"all": "1"}).content.decode()


def test_requester_may_not_see_everyones_tokens():
    owner = agent()
    token_create(actor=owner, user=owner, name="owner-token")
    html = browser_for(requester()).get(reverse("core:token-list"), {"all": "1"}).content.decode()
    assert "owner-token" not in html


# --- markdown ---------------------------------------------------------------------------------
def test_timeline_markdown_escapes_html():
    html = str(render_markdown('**done** <script>alert(1)</script> <img src=x onerror="x()">'))
    assert "<strong>done</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html


def test_timeline_markdown_refuses_script_links():
    html = str(render_markdown("[click](javascript:alert(1))"))
    assert 'href="javascript' not in html
