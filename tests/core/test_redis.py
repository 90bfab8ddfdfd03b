"""With OPSDESK_REDIS_URL set, the worker queue and the cache live in Redis."""

import os
import subprocess
import sys

import pytest

from opsdesk.core.testing.peers import answers, peer_marker

REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    return answers(*REDIS)


def needs_redis():
    return peer_marker("Redis", None if redis_answers() else "nothing answers on 127.0.0.1:6379")


pytestmark = [pytest.mark.redis, needs_redis()]

SCRIPT = r"""
import django
django.setup()
from django.core.cache import cache
from huey.contrib.djhuey import HUEY
from opsdesk.core.tasks import outbox_deliver

assert type(HUEY).__name__ == "RedisHuey", type(HUEY)
HUEY.flush()
cache.set("opsdesk-test-key", {"n": 1}, 30)
assert cache.get("opsdesk-test-key") == {"n": 1}
outbox_deliver()                 # enqueued in Redis, not run
assert HUEY.pending_count() == 1
task = HUEY.dequeue()
assert task.name.endswith("outbox_deliver"), task.name
HUEY.flush()
print("redis ok")
"""


def test_queue_and_cache_use_redis(tmp_path):
    env = {
        **os.environ,
        "OPSDESK_DATA_DIR": str(tmp_path),
        "OPSDESK_REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/15",
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "redis ok" in result.stdout
