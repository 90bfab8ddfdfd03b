import os

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY

from opsdesk.core.testing.api import client_for
from opsdesk.core.testing.factories import admin, agent, requester

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


@pytest.fixture
def api(db):
    """A factory of authenticated API clients: api(user)."""
    return client_for


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with OPSDESK_DATABASE_URL=postgres://...")


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
