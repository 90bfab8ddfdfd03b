"""A real dovecot for the mail tests: the server fixture, a mailbox reading it, and putting
messages into its inbox as a mail client would."""

import imaplib
import shutil
import ssl
import tempfile
import time
from pathlib import Path

import pytest

from opsdesk.servicedesk.models import Mailbox
from tests.servicedesk import imap_server
from tests.servicedesk.mail import message, raw


@pytest.fixture
def server():
    # Not pytest's tmp_path: its parents are private to us, and dovecot's own
    # unprivileged processes must reach their sockets and the Maildir.
    root = Path(tempfile.mkdtemp(prefix="opsdesk-imap-"))
    instance = imap_server.ImapServer(root)
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()
        shutil.rmtree(root, ignore_errors=True)


def client_for(server):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    client = imaplib.IMAP4_SSL("127.0.0.1", server.port, ssl_context=context, timeout=10)
    client.login(imap_server.USER, imap_server.PASSWORD)
    return client


def deliver(server, *messages):
    client = client_for(server)
    for msg in messages:
        client.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw(msg))
    client.logout()


@pytest.fixture
def imap_mailbox(server, db):
    return Mailbox.objects.create(
        name="imap",
        address="servicedesk@example.com",
        imap_enabled=True,
        imap_host="127.0.0.1",
        imap_port=server.port,
        imap_username=imap_server.USER,
        imap_password=imap_server.PASSWORD,
        imap_verify_tls=False,
    )


def reply(mail, *, sender, body):
    """A reply to the sent ``mail`` (a notifications Delivery), threaded as a mail client does."""
    return message(
        sender=sender,
        subject=f"Re: {mail.subject}",
        body=body,
        in_reply_to=mail.message_id,
        references=mail.message_id,
    )
