"""Tests that need a real peer program (Chromium, Dovecot, Prometheus, Redis ...).

Outside CI such a test is skipped with the reason when its peer is missing, so a laptop
without Dovecot still runs the rest. In CI (``CI=true``) the same test fails instead: CI is
where the peers are installed, and a silent skip there hides that the test never ran.
"""

import os
import socket

import pytest


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def peer_missing(name: str, reason: str) -> str:
    """The message for a missing peer, naming it and why the test needs it."""
    return f"{name} is missing: {reason}"


def require_peer(name: str, reason: str) -> None:
    """Skip (fail under CI=true) the running test: ``name`` is not available."""
    message = peer_missing(name, reason)
    if in_ci():
        pytest.fail(f"{message} (CI=true: CI must provide every peer)", pytrace=False)
    pytest.skip(message)


def peer_marker(name: str, reason: str | None):
    """A mark for a test or module: ``reason`` is why the peer is missing, None if present.

    The mark makes the test call :func:`require_peer` at setup (see ``tests/conftest.py``).
    """
    return pytest.mark.peer(name=name, reason=reason)


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False
