"""The webhook connector against a real HTTP receiver: each change is one signed JSON POST,
a refusal carries its status, and a webhook is never read back."""

import json
import socket

import pytest

from opsdesk.access.connectors import ConnectorError, connector_for
from opsdesk.access.models import TargetKind
from opsdesk.access.testing import make_target
from opsdesk.core.outbound import signature
from opsdesk.core.testing.factories import UserFactory
from tests.notifications.servers import HookReceiver

pytestmark = pytest.mark.django_db

SECRET = "hook-secret"


@pytest.fixture
def receiver(settings):
    settings.OPSDESK_WEBHOOK_ALLOW_LOOPBACK = True
    with HookReceiver() as hooks:
        yield hooks


@pytest.fixture
def target(receiver):
    return make_target(
        kind=TargetKind.WEBHOOK, name="Badge system", url=receiver.url, secret=SECRET
    )


@pytest.fixture
def pat(db):
    return UserFactory(
        username="pat", email="pat@example.com", display_name="Pat Porter", first_name="Pat"
    )


def test_each_change_is_posted_as_signed_json(target, receiver, pat):
    connector = connector_for(target)

    connector.add_member(group="door-3rd-floor", person=pat)
    connector.remove_member(group="door-3rd-floor", person=pat)
    connector.disable_account(person=pat)

    person = {"username": "pat", "email": "pat@example.com", "name": "Pat Porter"}
    assert [r["json"] for r in receiver.requests] == [
        {"action": "add", "group": "door-3rd-floor", "person": person},
        {"action": "remove", "group": "door-3rd-floor", "person": person},
        {"action": "disable", "group": None, "person": person},
    ]
    for request in receiver.requests:
        assert request["headers"]["X-Opsdesk-Signature"] == signature(SECRET, request["body"])
        assert json.loads(request["body"])["person"]["username"] == "pat"
    assert [r["headers"]["X-Opsdesk-Event"] for r in receiver.requests] == [
        "access.add",
        "access.remove",
        "access.disable",
    ]


def test_a_receiver_that_refuses_gives_its_status(target, receiver, pat):
    receiver.statuses = [503]

    with pytest.raises(ConnectorError) as refused:
        connector_for(target).add_member(group="door", person=pat)

    assert str(refused.value) == f"The webhook at {receiver.url} answered HTTP 503"


def test_a_receiver_that_is_down_did_not_answer(db, settings, pat):
    settings.OPSDESK_WEBHOOK_ALLOW_LOOPBACK = True
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
        target = make_target(kind=TargetKind.WEBHOOK, url=url, secret=SECRET)
        with pytest.raises(ConnectorError) as refused:
            connector_for(target).disable_account(person=pat)

    assert str(refused.value).startswith(f"The webhook at {url} did not answer")


def test_an_address_opsdesk_may_not_call_is_refused_before_any_request(db, pat):
    target = make_target(kind=TargetKind.WEBHOOK, url="http://169.254.169.254/hook", secret=SECRET)

    with pytest.raises(ConnectorError) as refused:
        connector_for(target).add_member(group="door", person=pat)

    assert "link-local and cloud-metadata addresses are refused" in str(refused.value)


def test_a_webhook_cannot_be_read_back(target):
    connector = connector_for(target)

    with pytest.raises(ConnectorError, match="a webhook cannot be read back"):
        connector.members(group="door")
    with pytest.raises(ConnectorError, match="a webhook cannot be read back"):
        connector.groups()


def test_a_kind_without_a_connector_is_refused_by_name(db):
    target = make_target(kind="ftp", name="Old file share", url="ftp://files")

    with pytest.raises(ConnectorError) as refused:
        connector_for(target)

    assert (
        str(refused.value) == "Old file share: opsdesk has no connector for targets of kind 'ftp'"
    )
