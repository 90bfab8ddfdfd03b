"""Outgoing HTTP calls to addresses people configure: webhooks, automation hooks.

Every such call is signed (``X-Opsdesk-Signature: sha256=<hex HMAC-SHA256 of the body>``) and
goes only where it may: addresses on link-local networks (cloud metadata services live at
169.254.169.254) are refused, and so is loopback unless ``OPSDESK_WEBHOOK_ALLOW_LOOPBACK`` is on.
"""

import hashlib
import hmac
import ipaddress
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings


def loopback_allowed() -> bool:
    return bool(getattr(settings, "OPSDESK_WEBHOOK_ALLOW_LOOPBACK", False))


def _address_problem(ip: ipaddress._BaseAddress) -> str:
    if ip.is_link_local or (ip.version == 6 and ip.ipv4_mapped and ip.ipv4_mapped.is_link_local):
        return "link-local and cloud-metadata addresses are refused"
    if (ip.is_loopback or ip.is_unspecified) and not loopback_allowed():
        return "loopback addresses are refused"
    return ""


def url_problem(url: str, *, resolve: bool = True) -> str:
    """Why ``url`` may not receive webhooks, or ''. Hosts that do not resolve yet pass here and
    are checked again before every POST."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// address."
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    addresses = [literal] if literal is not None else []
    if literal is None and resolve:
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            infos = []
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for ip in addresses:
        problem = _address_problem(ip)
        if problem:
            return f"This address is not allowed: {problem}."
    return ""


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead past the address check; the receiver must answer itself."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)
TIMEOUT_SECONDS = 10


def signed_post(url: str, *, secret: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    """POST JSON ``body`` signed with ``secret``; returns (HTTP status or None, error text)."""
    problem = url_problem(url)
    if problem:
        return None, problem
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            **headers,
            "X-Opsdesk-Timestamp": str(int(time.time())),
            "X-Opsdesk-Signature": signature(secret, body),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return None, repr(error)
