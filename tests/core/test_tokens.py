"""API tokens: shown once, stored hashed, scoped, expiring, revocable."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from opsdesk.core.errors import NotPermitted
from opsdesk.core.models import ApiToken
from opsdesk.core.services import token_create, token_revoke
from opsdesk.core.testing.api import assert_error_shape

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_token_works_and_only_its_hash_is_stored(agent_user):
    token, raw = token_create(actor=agent_user, user=agent_user, name="script")
    assert raw not in token.key_hash and len(token.key_hash) == 64
    response = bearer(raw).get(reverse("user-me"))
    assert response.status_code == 200
    assert response.json()["username"] == agent_user.username
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("mangle", [lambda r: r + "x", lambda r: r[:-1], lambda r: "opsd_nope_x"])
def test_wrong_token_is_refused(agent_user, mangle):
    _, raw = token_create(actor=agent_user, user=agent_user, name="script")
    assert_error_shape(bearer(mangle(raw)).get(reverse("user-me")), 401)


def test_read_only_token_reads_but_cannot_write(admin_user_):
    _, raw = token_create(actor=admin_user_, user=admin_user_, name="ro", read_only=True)
    client = bearer(raw)
    assert client.get(reverse("team-list")).status_code == 200
    refused = client.post(reverse("team-list"), {"name": "X", "type": "technical"}, format="json")
    assert_error_shape(refused, 403)


def test_expired_and_revoked_tokens_stop_working(agent_user):
    token, raw = token_create(actor=agent_user, user=agent_user, name="t", expires_in_days=1)
    assert bearer(raw).get(reverse("user-me")).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(raw).get(reverse("user-me")).status_code == 401
    token2, raw2 = token_create(actor=agent_user, user=agent_user, name="t2")
    token_revoke(actor=agent_user, token=token2)
    assert bearer(raw2).get(reverse("user-me")).status_code == 401


def test_deactivated_user_token_stops_working(agent_user):
    _, raw = token_create(actor=agent_user, user=agent_user, name="t")
    agent_user.is_active = False
    agent_user.save()
    assert bearer(raw).get(reverse("user-me")).status_code == 401


def test_api_create_shows_secret_once_and_list_never(api, agent_user):
    client = api(agent_user)
    created = client.post(
        reverse("token-list"), {"name": "ci", "expires_in_days": 30}, format="json"
    )
    assert created.status_code == 201
    raw = created.json()["token"]
    assert raw.startswith("opsd_")
    listing = client.get(reverse("token-list")).json()["results"]
    assert [t["name"] for t in listing] == ["ci"]
    assert "token" not in listing[0] and raw not in str(listing)


def test_api_create_rejects_bad_expiry(api, agent_user):
    response = api(agent_user).post(
        reverse("token-list"), {"name": "x", "expires_in_days": 0}, format="json"
    )
    assert_error_shape(response, 400, field="expires_in_days")
    assert not ApiToken.objects.exists()


def test_users_cannot_see_or_revoke_each_others_tokens(api, agent_user, requester_user):
    token, _ = token_create(actor=requester_user, user=requester_user, name="mine")
    client = api(agent_user)
    assert client.get(reverse("token-detail", args=[token.pk])).status_code == 404
    assert client.post(reverse("token-revoke", args=[token.pk])).status_code == 404
    with pytest.raises(NotPermitted):
        token_revoke(actor=agent_user, token=token)


def test_only_admins_create_tokens_for_others(api, agent_user, requester_user, admin_user_):
    body = {"name": "svc", "user": requester_user.pk}
    assert_error_shape(api(agent_user).post(reverse("token-list"), body, format="json"), 403)
    assert api(admin_user_).post(reverse("token-list"), body, format="json").status_code == 201


def test_cli_prints_a_working_token(agent_user, capsys):
    call_command("token", "create", "--user", agent_user.username, "--read-only", "--expires", "7")
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=agent_user)
    assert token.read_only and token.expires_at is not None
    assert bearer(raw).get(reverse("user-me")).status_code == 200


def test_cli_refuses_unknown_user():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no active user"):
        call_command("token", "create", "--user", "ghost")
