"""An HR system's CSV: joiners, movers and leavers from one file, refused whole when a row
is wrong."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsdesk.access import services
from opsdesk.access.models import BirthrightRule, Grant, LifecycleEvent
from opsdesk.core.models import User
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.factories import UserFactory, admin
from tests.access.factories import entitlement

pytestmark = pytest.mark.django_db

HEADER = "username,email,first_name,last_name,department,manager,starts_on,leaves_on,active\n"


def _upload(client, text: str):
    return client.post(
        reverse("access:people-import"),
        {"file": SimpleUploadedFile("hr.csv", text.encode(), content_type="text/csv")},
        follow=True,
    )


def test_one_file_makes_a_joiner_and_a_leaver(client):
    rule = BirthrightRule.objects.create(name="Sales", department="Sales")
    rule.entitlements.set([entitlement("CRM")])
    manager = admin()
    leaving = UserFactory(username="lee", department="Sales")
    vpn = services.grant_create(
        actor=manager, holder=leaving, entitlement=entitlement("VPN"), source="rule"
    )
    client.force_login(manager)
    done = _upload(
        client,
        HEADER
        + "nia,nia@example.com,Nia,New,Sales,boss,2026-01-01,,yes\n"
        + "boss,boss@example.com,Bo,Ss,Sales,,,,yes\n"
        + "lee,,,,Sales,,,,no\n",
    )
    assert "Imported: 2 new, 1 changed" in done.content.decode()
    outbox_deliver_due()
    nia = User.objects.get(username="nia")
    assert nia.manager.username == "boss"
    assert Grant.objects.filter(holder=nia, entitlement__name="CRM", state="active").exists()
    vpn.refresh_from_db()
    assert vpn.state == "ended" and vpn.end_reason == "leaver"
    assert LifecycleEvent.objects.get(person=leaving).source == "HR import"


def test_a_bad_row_imports_nobody_and_says_which(client):
    client.force_login(admin())
    page = _upload(
        client,
        HEADER + "ok,,,,Sales,,,,yes\n" + "bad,,,,Sales,ghost,2026-13-01,,maybe\n",
    ).content.decode()
    assert "Nothing was imported" in page
    assert "Row 3: the manager “ghost” is nobody opsdesk knows." in page
    assert "Row 3: starts_on “2026-13-01” is not a date (YYYY-MM-DD)." in page
    assert "Row 3: active is “maybe”; write yes or no." in page
    assert not User.objects.filter(username="ok").exists()


def test_only_access_managers_import(client):
    client.force_login(UserFactory())
    assert client.get(reverse("access:people-import")).status_code == 403
