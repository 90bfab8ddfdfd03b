"""The demo CMDB: big enough to explore, with multi-level chains, and safe to load twice."""

import pytest

from opsdesk.cmdb import demo as cmdb_demo
from opsdesk.cmdb.models import ConfigurationItem, Relationship
from opsdesk.cmdb.selectors import ci_find, ci_impacted_services
from opsdesk.core import demo as core_demo

pytestmark = pytest.mark.django_db


def test_demo_cmdb_has_services_with_deep_chains_and_loads_idempotently():
    lines = []
    core_demo.load(progress=lines.append)
    cmdb_demo.load(progress=lines.append)
    cis, rels = ConfigurationItem.objects.count(), Relationship.objects.count()
    assert cis >= 60
    assert ConfigurationItem.objects.filter(ci_class__key="business_service").count() >= 5
    impact = ci_impacted_services(ci=ci_find(name="san-lon-01"))
    assert {i.ci.name for i in impact.items} >= {"Payroll", "Online Store", "Email & Calendar"}
    assert max(i.depth for i in impact.items) >= 4
    cmdb_demo.load(progress=lines.append)
    assert (ConfigurationItem.objects.count(), Relationship.objects.count()) == (cis, rels)
    assert any("configuration items added" in line for line in lines)
