"""opsdesk's SCIM service checked by scim2-tester, a third-party RFC 7643/7644 compliance
checker, over real HTTP against the live server."""

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from opsdesk.core.services import token_create
from opsdesk.core.testing.factories import admin


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_scim2_tester_finds_nothing_wrong(live_server):
    provisioner = admin(username="entra-provisioning")
    _, raw = token_create(actor=provisioner, user=provisioner, name="Entra ID")
    with httpx2.Client(
        base_url=f"{live_server.url}/scim/v2",
        headers={"Authorization": f"Bearer {raw}", "Connection": "close"},
    ) as http:
        results = check_server(SyncSCIMClient(http))
    failed = [
        f"{r.title} [{r.resource_type}]: {r.reason}"
        for r in results
        if r.status not in (Status.SUCCESS, Status.SKIPPED)
    ]
    assert not failed, "\n".join(failed)
    assert sum(r.status == Status.SUCCESS for r in results) > 40
