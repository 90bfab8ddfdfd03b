import os
from urllib.parse import urlsplit

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY

from opsdesk.core.roles import Role
from opsdesk.core.testing.api import client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory, admin, agent, requester
from opsdesk.core.testing.peers import answers, require_peer

# Background tasks run in-process during tests, right when they are enqueued.
HUEY.immediate = True

# Let Playwright's event loop coexist with Django's sync-only guard in browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"opsdesk database backend: {engine}"


@pytest.fixture
def requester_user(db):
    return requester()


@pytest.fixture
def agent_user(db):
    return agent()


@pytest.fixture
def admin_user_(db):
    return admin()


# The desk most tests work in: the Service Desk team, one of its agents, a Finance requester.
@pytest.fixture
def team(db):
    return TeamFactory(name="Service Desk")


@pytest.fixture
def desk_agent(team):
    user = UserFactory(roles=[Role.AGENT])
    team.members.add(user)
    return user


@pytest.fixture
def caller(db):
    return UserFactory(roles=[Role.REQUESTER], department="Finance")


@pytest.fixture
def api(db):
    """A factory of authenticated API clients: api(user)."""
    return client_for


def pytest_runtest_setup(item):
    # @pytest.mark.peer(name=..., reason=...): reason is set when the peer is missing.
    for mark in item.iter_markers("peer"):
        if mark.kwargs.get("reason"):
            require_peer(mark.kwargs["name"], mark.kwargs["reason"])


def _postgres_answers() -> bool:
    url = urlsplit(os.environ.get("OPSDESK_TEST_DATABASE_URL") or "postgres://127.0.0.1:5432")
    return answers(url.hostname or "127.0.0.1", url.port or 5432)


@pytest.fixture
def postgres_only():
    if connection.vendor == "postgresql":
        return
    # The SQLite run leaves these to the PostgreSQL run; only a missing server is a problem.
    if _postgres_answers():
        pytest.skip("PostgreSQL only: covered by the run with OPSDESK_DATABASE_URL=postgres://...")
    require_peer("PostgreSQL", "run with OPSDESK_DATABASE_URL=postgres://... (nothing answers)")


# Transactional tests (transaction=True, live_server) flush the database afterwards, which
# also removes what data migrations seeded (roles, resolution codes, CI classes ...). Each such
# test therefore asks for serialized_rollback, which reloads that data before it runs and keeps
# the flush from recreating content types behind the reload's back.


@pytest.fixture
def attachment_dir(settings, tmp_path):
    """Attachments stored under this test's own temporary directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path
