"""Reconciliation against a real slapd: drift shown on the directory's page with one-click
fixes, and a directory's groups imported as entitlements with their members as grants."""

import pytest
from django.urls import reverse

from opsdesk.access import services
from opsdesk.access.directory import directory_groups
from opsdesk.access.models import Entitlement, Grant, GrantSource, GrantState
from opsdesk.access.testing import ldap_server, make_application
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.factories import UserFactory, admin
from opsdesk.core.testing.peers import peer_marker
from tests.access.factories import entitlement

pytestmark = [pytest.mark.django_db, peer_marker("slapd", ldap_server.available() or None)]


def test_access_held_without_a_grant_is_revoked_or_recorded_in_one_click(
    client, ldap_target, ldap_directory
):
    first, second = ldap_directory.add_person("Una", "Granted"), ldap_directory.add_person("Ola")
    una, ola = UserFactory(username=first), UserFactory(username=second)
    group = ldap_directory.add_group("wiki", members=[first, second])
    wiki = entitlement("Wiki editors", target=ldap_target, external_id=group)
    manager = admin()
    client.force_login(manager)
    page = client.get(reverse("access:target", args=[ldap_target.pk])).content.decode()
    assert page.count("In the directory without a grant") == 2
    client.post(
        reverse("access:target-fix", args=[ldap_target.pk]),
        {"action": "record", "entitlement": wiki.pk, "username": una.username},
    )
    recorded = Grant.objects.get(holder=una)
    assert recorded.source == GrantSource.RECONCILIATION and recorded.provisioning == "provisioned"
    client.post(
        reverse("access:target-fix", args=[ldap_target.pk]),
        {"action": "revoke", "entitlement": wiki.pk, "username": ola.username},
    )
    outbox_deliver_due()
    removed = Grant.objects.get(holder=ola)
    assert removed.state == GrantState.ENDED and removed.end_reason == "reconciliation"
    assert ldap_directory.person_dn(second).lower() not in ldap_directory.member_dns(group)
    after = client.get(reverse("access:target", args=[ldap_target.pk])).content.decode()
    assert "The directory matches opsdesk&#x27;s grants." in after or "matches opsdesk" in after


def test_groups_are_imported_with_their_members_as_migration_grants(
    client, ldap_target, ldap_directory
):
    member = ldap_directory.add_person("Ima", "Member")
    ima = UserFactory(username=member)
    group = ldap_directory.add_group("payroll-readers", members=[member])
    app = make_application("Payroll")
    manager = admin()
    client.force_login(manager)
    page = client.get(
        reverse("access:target", args=[ldap_target.pk]), {"import": 1}
    ).content.decode()
    assert "payroll-readers" in page
    done = client.post(
        reverse("access:target-fix", args=[ldap_target.pk]),
        {"action": "import", "group": [group], "application": app.pk},
        follow=True,
    )
    assert "Imported 1 entitlements with 1 members as grants." in done.content.decode()
    imported = Entitlement.objects.get(external_id=group)
    grant = Grant.objects.get(entitlement=imported)
    assert grant.holder == ima and grant.source == GrantSource.MIGRATION
    # Importing again adds nothing.
    assert (
        services.entitlements_import(
            actor=manager,
            target=ldap_target,
            application=app,
            owner=manager,
            groups=[g for g in directory_groups(target=ldap_target) if g.id == group],
        )
        == []
    )


def test_only_access_managers_reconcile(client, ldap_target):
    client.force_login(UserFactory())
    assert client.get(reverse("access:target", args=[ldap_target.pk])).status_code == 403


def test_an_unreachable_directory_is_said_in_words(client, ldap_target):
    entitlement("VPN", target=ldap_target, external_id="cn=vpn,ou=groups,dc=example,dc=com")
    ldap_target.url = "ldap://127.0.0.1:1"
    ldap_target.save()
    client.force_login(admin())
    page = client.get(reverse("access:target", args=[ldap_target.pk])).content.decode()
    assert "did not answer" in page and "Nothing was changed" in page
    assert services.reconcile_all()["unreachable"] == 1
