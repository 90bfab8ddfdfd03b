"""The per-integration rate is one count for every web process, with or without Redis."""

import uuid

import pytest
from django.core.cache import cache
from django.test import override_settings

from opsdesk.events.ingest import rate_limited, rate_windows_prune
from opsdesk.events.models import RateWindow
from opsdesk.events.testing import IntegrationFactory
from tests.core.test_redis import needs_redis

pytestmark = pytest.mark.django_db

MINUTE_START = 1_800_000_000 - 1_800_000_000 % 60  # an instant at the start of a minute


def test_without_redis_the_count_lives_in_the_database_shared_by_all_processes():
    integration = IntegrationFactory(rate_limit_per_minute=250)
    assert rate_limited(integration, 100, now=MINUTE_START) == 0
    cache.clear()  # another web process has a memory cache of its own
    assert rate_limited(integration, 100, now=MINUTE_START + 1) == 0
    cache.clear()
    assert rate_limited(integration, 100, now=MINUTE_START + 2) == 58  # wait for the next minute
    # The refused hundred is not counted: fifty more still fit this minute.
    assert RateWindow.objects.get(integration=integration).used == 200
    assert rate_limited(integration, 50, now=MINUTE_START + 3) == 0


def test_a_new_minute_starts_a_new_count_and_old_minutes_are_forgotten():
    integration = IntegrationFactory(rate_limit_per_minute=100)
    assert rate_limited(integration, 100, now=MINUTE_START) == 0
    assert rate_limited(integration, 1, now=MINUTE_START + 30) == 30
    assert rate_limited(integration, 100, now=MINUTE_START + 60) == 0
    assert rate_windows_prune(now=MINUTE_START + 180) == 2
    assert not RateWindow.objects.exists()


def test_integrations_are_counted_apart():
    busy, quiet = IntegrationFactory(rate_limit_per_minute=10), IntegrationFactory()
    assert rate_limited(busy, 11, now=MINUTE_START) > 0
    assert rate_limited(quiet, 11, now=MINUTE_START) == 0


@needs_redis()
def test_with_redis_the_shared_cache_counts_and_the_database_is_left_alone():
    redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    integration = IntegrationFactory(rate_limit_per_minute=150)
    # The key prefix is new each run and the counts expire by themselves.
    with override_settings(CACHES=redis):
        assert rate_limited(integration, 100, now=MINUTE_START) == 0
        assert rate_limited(integration, 100, now=MINUTE_START + 1) > 0
        assert rate_limited(integration, 50, now=MINUTE_START + 2) == 0  # the refusal uncounted
    assert not RateWindow.objects.exists()
