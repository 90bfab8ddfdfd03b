"""opsdesk's SCIM service checked by scim2-tester, a third-party RFC 7643/7644 compliance
checker, over real HTTP against the live server.

The checker reads the published schemas and fills every writable attribute with random
values, then expects them back exactly; that is why the schemas publish only what opsdesk
keeps. ``active`` is published as required: opsdesk cannot leave a person neither active
nor inactive, so removing it is refused (``mutability``) and the checker does not try.
"""

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
    # Every check runs and passes: none is skipped, as none is left out of opsdesk's service.
    failed = [
        f"{r.title} [{r.resource_type}] {r.status.name}: {r.reason}"
        for r in results
        if r.status != Status.SUCCESS
    ]
    assert not failed, "\n".join(failed)
    checked = {r.title for r in results}
    assert {"object_creation", "object_replacement", "object_deletion"} <= checked
    assert {"check_add_attribute", "check_replace_attribute", "check_remove_attribute"} <= checked
    assert {"search_with_attributes", "random_url"} <= checked
