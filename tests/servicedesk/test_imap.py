"""IMAP polling against a real dovecot: new mail becomes tickets, is flagged seen only after
the ticket committed, and a second poll processes nothing twice."""

import pytest

from opsdesk.core.testing.peers import peer_marker
from opsdesk.incidents.models import Incident
from opsdesk.servicedesk.inbound import imap
from tests.servicedesk import imap_server
from tests.servicedesk.imap_fixtures import client_for, deliver, imap_mailbox, server
from tests.servicedesk.mail import message

# Fixtures shared with the other mail tests, used here by name.
__all__ = ["imap_mailbox", "server"]

pytestmark = [
    pytest.mark.django_db,
    peer_marker("Dovecot", imap_server.available() or None),
]


def flags(server) -> dict[int, bool]:
    client = client_for(server)
    client.select("INBOX", readonly=True)
    _, data = client.uid("FETCH", "1:*", "(FLAGS)")
    client.logout()
    seen = {}
    for line in data:
        text = line.decode()
        uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
        seen[uid] = "\\Seen" in text
    return seen


def test_poll_turns_new_mail_into_tickets_and_marks_it_seen(server, imap_mailbox, alice):
    deliver(server, message(subject="VPN drops"), message(subject="Printer jam"))
    imap.mailboxes_poll()
    assert sorted(Incident.objects.values_list("short_description", flat=True)) == [
        "Printer jam",
        "VPN drops",
    ]
    assert flags(server) == {1: True, 2: True}
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == 2 and imap_mailbox.imap_uidvalidity
    assert imap_mailbox.imap_last_error == ""

    # Polling again finds nothing new; a later message is the only one processed.
    imap.mailboxes_poll()
    assert Incident.objects.count() == 2
    deliver(server, message(subject="Monitor flickers"))
    imap.mailboxes_poll()
    assert Incident.objects.count() == 3


def test_message_stays_unseen_when_its_ticket_change_fails(
    server, imap_mailbox, alice, monkeypatch
):
    deliver(server, message(subject="Disk full"))

    def broken(**kwargs):
        raise OSError("database went away")

    monkeypatch.setattr(imap, "mail_ingest", broken)
    imap.mailboxes_poll()
    assert flags(server) == {1: False}
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == 0 and "database went away" in imap_mailbox.imap_last_error

    monkeypatch.undo()
    imap.mailboxes_poll()
    assert flags(server) == {1: True}
    assert Incident.objects.get().short_description == "Disk full"


def test_wrong_password_is_reported_on_the_mailbox(server, imap_mailbox):
    imap_mailbox.imap_password = "wrong"
    imap_mailbox.save()
    imap.mailboxes_poll()
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_error
    assert Incident.objects.count() == 0
