"""Settings for the test suite: opsdesk's own, with test-only speed-ups and plain HTTP."""

import os
import tempfile

os.environ.setdefault("OPSDESK_HTTPS", "false")
os.environ.setdefault("OPSDESK_DATA_DIR", os.path.join(tempfile.gettempdir(), "opsdesk-test-data"))

from opsdesk.settings import *  # noqa: F403

# Argon2 is deliberately slow; tests create hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = True
