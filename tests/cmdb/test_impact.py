"""Impact analysis and dependencies: paths, direction by relationship type, cycles, depth."""

import pytest

from opsdesk.cmdb.selectors import (
    ci_dependencies,
    ci_find,
    ci_impacted_items,
    ci_impacted_services,
)
from tests.cmdb.factories import CIFactory, business_service, ci_class, link

pytestmark = pytest.mark.django_db


@pytest.fixture
def payroll_stack():
    """Payroll -> payroll-engine -> vm -> esx host -> SAN, plus a database on the same SAN."""
    payroll = business_service("Payroll", criticality=1)
    app = CIFactory(name="payroll-engine", ci_class=ci_class("application"))
    vm = CIFactory(name="vm-payroll-01", ci_class=ci_class("virtual_machine"))
    host = CIFactory(name="esx-01")
    san = CIFactory(name="san-01", ci_class=ci_class("storage"))
    db = CIFactory(name="db-payroll", ci_class=ci_class("database"))
    link(payroll, "depends_on", app)
    link(app, "runs_on", vm)
    link(vm, "hosted_on", host)
    link(host, "depends_on", san)
    link(app, "depends_on", db)
    link(db, "runs_on", vm)
    return {"payroll": payroll, "app": app, "vm": vm, "host": host, "san": san, "db": db}


def test_a_failing_san_impacts_the_service_with_the_explaining_path(payroll_stack):
    walk = ci_impacted_services(ci=payroll_stack["san"])
    [item] = walk.items
    assert item.ci.name == "Payroll"
    assert item.depth == 4
    assert [c.name for c in item.path] == [
        "san-01",
        "esx-01",
        "vm-payroll-01",
        "payroll-engine",
        "Payroll",
    ]
    assert item.explanation == (
        "Payroll depends on payroll-engine; payroll-engine runs on vm-payroll-01; "
        "vm-payroll-01 hosted on esx-01; esx-01 depends on san-01"
    )
    assert walk.reached_count == 5  # host, vm, app, db and the service itself


def test_the_shortest_path_explains_each_service(payroll_stack):
    walk = ci_impacted_services(ci=payroll_stack["vm"])
    assert [c.name for c in walk.items[0].path] == ["vm-payroll-01", "payroll-engine", "Payroll"]


def test_dependencies_list_everything_a_service_stands_on(payroll_stack):
    walk = ci_dependencies(ci=payroll_stack["payroll"])
    names = {item.ci.name: item.depth for item in walk.items}
    assert names == {
        "payroll-engine": 1,
        "db-payroll": 2,
        "vm-payroll-01": 2,
        "esx-01": 3,
        "san-01": 4,
    }
    san = next(i for i in walk.items if i.ci.name == "san-01")
    assert san.explanation.startswith("Payroll depends on payroll-engine")


def test_a_ci_nothing_depends_on_impacts_no_service(payroll_stack):
    assert ci_impacted_services(ci=payroll_stack["payroll"]).items == []


def test_part_of_propagates_from_the_part_to_the_whole():
    erp = business_service("ERP")
    module = CIFactory(name="erp-finance", ci_class=ci_class("application"))
    link(module, "part_of", erp)
    assert [i.ci.name for i in ci_impacted_services(ci=module).items] == ["ERP"]
    assert [i.ci.name for i in ci_dependencies(ci=erp).items] == ["erp-finance"]
    assert ci_impacted_services(ci=erp).items == []


def test_a_failed_backup_target_does_not_impact_what_it_backs_up():
    service = business_service("Payroll")
    db = CIFactory(name="db-payroll", ci_class=ci_class("database"))
    vault = CIFactory(name="vault-01", ci_class=ci_class("storage"))
    link(service, "depends_on", db)
    link(db, "backed_up_by", vault)
    assert ci_impacted_services(ci=vault).items == []
    assert ci_impacted_services(ci=db).items[0].ci.name == "Payroll"


def test_cycles_end_the_walk_instead_of_looping():
    service = business_service("Online Store")
    sw1, sw2, sw3 = (CIFactory(name=f"core-sw-0{i}") for i in (1, 2, 3))
    link(service, "connects_to", sw1)
    link(sw1, "connects_to", sw2)
    link(sw2, "connects_to", sw3)
    link(sw3, "connects_to", sw1)
    link(sw2, "connects_to", sw1)
    walk = ci_impacted_services(ci=sw3, max_depth=50)
    assert [i.ci.name for i in walk.items] == ["Online Store"]
    assert walk.reached_count == 3
    assert not walk.depth_limit_reached
    assert len(ci_dependencies(ci=service, max_depth=50).items) == 3


def test_the_walk_stops_at_max_depth_and_says_so(payroll_stack):
    walk = ci_impacted_services(ci=payroll_stack["san"], max_depth=2)
    assert walk.items == []
    assert walk.depth_limit_reached
    assert {i.ci.name for i in ci_impacted_items(ci=payroll_stack["san"], max_depth=2).items} == {
        "esx-01",
        "vm-payroll-01",
    }


def test_one_query_per_level(payroll_stack, django_assert_max_num_queries):
    # Four levels to the service, one more that finds nothing, then two to load names.
    with django_assert_max_num_queries(7):
        ci_impacted_services(ci=payroll_stack["san"].pk)


def test_find_a_ci_by_name_and_class_prefers_the_live_one():
    CIFactory(name="erp-db", ci_class=ci_class("database"), environment="test")
    live = CIFactory(name="ERP-DB", ci_class=ci_class("virtual_machine"), environment="production")
    assert ci_find(name="erp-db") == live
    assert ci_find(name="erp-db", ci_class="database").environment == "test"
    assert ci_find(name="erp-db", ci_class="Database").environment == "test"
    assert ci_find(name="no-such-ci") is None
