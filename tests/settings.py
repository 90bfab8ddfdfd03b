"""Settings for the test suite: opsdesk's own, with test-only speed-ups and plain HTTP."""

import os
import tempfile

os.environ.setdefault("OPSDESK_HTTPS", "false")
os.environ.setdefault("OPSDESK_DATA_DIR", os.path.join(tempfile.gettempdir(), "opsdesk-test-data"))
# Each xdist worker its own audit checkpoint; tests that look at it use their own directory.
os.environ.setdefault(
    "OPSDESK_CONFIG_DIR",
    os.path.join(
        tempfile.gettempdir(), f"opsdesk-test-config-{os.environ.get('PYTEST_XDIST_WORKER', '0')}"
    ),
)
os.environ.setdefault("OPSDESK_AUDIT_KEY", "test-audit-key-" + "0123456789abcdef" * 2)

from opsdesk.settings import *  # noqa: F403

# Argon2 is deliberately slow; tests create hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = True
# Transactional tests flush SQLite with DELETE, which the audit table refuses otherwise.
OPSDESK_AUDIT_FLUSH_IN_TESTS = True
# One checkpoint file per worker would hold whichever test's trail wrote last; the audit tests
# switch it back on with a file of their own.
OPSDESK_AUDIT_CHECKPOINT_AFTER_COMMIT = False

# A record type declared through the ticket platform's registry alone (tests/ticketapp).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.ticketapp"]  # noqa: F405
