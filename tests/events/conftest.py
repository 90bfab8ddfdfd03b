import pytest
from rest_framework.test import APIClient

from opsdesk.events.models import hash_secret
from opsdesk.events.testing import SECRET, IntegrationFactory


@pytest.fixture
def integration(db):
    return IntegrationFactory(name="Prometheus", secret_hash=hash_secret(SECRET))


@pytest.fixture
def sender():
    """An unauthenticated client, as a monitoring tool is."""
    return APIClient()
