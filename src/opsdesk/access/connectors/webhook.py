"""A signed webhook for systems with neither LDAP nor SCIM: opsdesk POSTs each change as JSON
and the receiver applies it.

The body is ``{"action": "add" | "remove" | "disable", "group": <entitlement's key>,
"person": {"username", "email", "name"}}`` (``group`` is null for "disable"), signed like every
outgoing call of opsdesk (``X-Opsdesk-Signature: sha256=<HMAC-SHA256 of the body>`` with the
target's secret). A 2xx answer means done; anything else is retried. Receivers should treat a
repeated change as success: a retry after a timeout may deliver it twice.
"""

import json

from opsdesk.access.connectors import ConnectorError, ExternalGroup
from opsdesk.core.outbound import signed_post

CANNOT_READ = "a webhook cannot be read back"


class WebhookConnector:
    def __init__(self, target):
        self.target = target

    def _post(self, action: str, group: str | None, person) -> None:
        body = json.dumps(
            {
                "action": action,
                "group": group,
                "person": {
                    "username": person.username,
                    "email": person.email,
                    "name": str(person),
                },
            }
        ).encode()
        status, error = signed_post(
            self.target.url,
            secret=self.target.secret,
            body=body,
            headers={"X-Opsdesk-Event": f"access.{action}"},
        )
        if status is None:
            raise ConnectorError(f"The webhook at {self.target.url} did not answer: {error}")
        if not 200 <= status < 300:
            raise ConnectorError(f"The webhook at {self.target.url} answered HTTP {status}")

    def add_member(self, *, group: str, person) -> None:
        self._post("add", group, person)

    def remove_member(self, *, group: str, person) -> None:
        self._post("remove", group, person)

    def disable_account(self, *, person) -> None:
        self._post("disable", None, person)

    def members(self, *, group: str) -> frozenset[str]:
        raise ConnectorError(CANNOT_READ)

    def groups(self) -> list[ExternalGroup]:
        raise ConnectorError(CANNOT_READ)
