import pytest

from opsdesk.core.testing.factories import TeamFactory, UserFactory, agent, requester
from opsdesk.servicedesk.models import Mailbox


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        name="desk", address="servicedesk@example.com", assignment_group=TeamFactory()
    )


@pytest.fixture
def alice(db):
    return requester(username="alice", email="alice@example.com", first_name="Alice")


@pytest.fixture
def desk_agent(db):
    user = agent(username="dana", email="dana@example.com")
    return user


@pytest.fixture
def stranger(db):
    return UserFactory(username="mallory", email="mallory@example.com")
