"""``opsdesk serve`` ends its start-up output with one line: where to open opsdesk, who signs in."""

import socket

import pytest

from opsdesk.core.demo import DEMO_PASSWORD
from opsdesk.core.management.commands.serve import answers, ready_line
from opsdesk.core.testing.factories import UserFactory


@pytest.mark.django_db
def test_the_ready_line_names_the_address_and_the_demo_sign_ins():
    UserFactory(username="agent", password=DEMO_PASSWORD)
    UserFactory(username="requester", password=DEMO_PASSWORD)
    UserFactory(username="admin", password="something random")
    assert ready_line(bind="127.0.0.1:8123") == (
        "opsdesk is ready: open http://127.0.0.1:8123 and sign in as "
        "agent / opsdesk-demo (agent), requester (requester), "
        "admin (admin, with the password createadmin printed)"
    )


@pytest.mark.django_db
def test_the_ready_line_hints_at_no_password_that_was_changed():
    UserFactory(username="agent", password="changed since")
    UserFactory(username="requester", password=DEMO_PASSWORD)
    assert ready_line(bind="0.0.0.0:8000") == (
        "opsdesk is ready: open http://127.0.0.1:8000 and sign in as "
        "requester / opsdesk-demo (requester)"
    )


@pytest.mark.django_db
def test_without_demo_accounts_the_ready_line_only_says_where():
    assert ready_line(bind="127.0.0.1:8000") == "opsdesk is ready: open http://127.0.0.1:8000"


def test_a_running_server_answers_and_a_closed_port_does_not(live_server):
    host, port = live_server.url.removeprefix("http://").rsplit(":", 1)
    assert answers(host, int(port))
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = free.getsockname()[1]
    assert not answers("127.0.0.1", closed)
