"""Poll a mailbox over IMAP with TLS: fetch new messages by UID, ingest, then mark them seen.

A message is flagged \\Seen only after its ticket change has committed, so a crash between
the two fetches it again next time, and the Message-ID index makes that second pass a no-op.
UIDs are only compared within one UIDVALIDITY; when the server resets it, polling starts over.
"""

import contextlib
import imaplib
import logging
import re
import ssl

from django.utils import timezone

from opsdesk.servicedesk.inbound.services import mail_ingest
from opsdesk.servicedesk.models import Mailbox

log = logging.getLogger(__name__)

BATCH = 50
TIMEOUT_SECONDS = 30


def _tls_context(mailbox: Mailbox) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not mailbox.imap_verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _check(result, what: str):
    status, data = result
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what} failed: {data!r}")
    return data


def mailbox_poll(*, mailbox: Mailbox) -> dict:
    """Fetch and ingest what arrived since the last poll; returns counts per outcome."""
    counts: dict[str, int] = {}
    client = imaplib.IMAP4_SSL(
        mailbox.imap_host,
        mailbox.imap_port,
        ssl_context=_tls_context(mailbox),
        timeout=TIMEOUT_SECONDS,
    )
    try:
        _check(client.login(mailbox.imap_username, mailbox.imap_password), "login")
        _check(client.select(f'"{mailbox.imap_folder}"'), "select")
        uidvalidity = int(client.untagged_responses.get("UIDVALIDITY", [b"0"])[0])
        last_uid = mailbox.imap_last_uid if mailbox.imap_uidvalidity == uidvalidity else 0
        found = _check(client.uid("SEARCH", None, f"UID {last_uid + 1}:*"), "search")
        # "n:*" always matches the newest message, even when it is older than n.
        uids = sorted(int(u) for u in (found[0] or b"").split() if int(u) > last_uid)[:BATCH]
        for uid in uids:
            data = _check(client.uid("FETCH", str(uid), "(BODY.PEEK[])"), "fetch")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if raw is None:
                continue
            result = mail_ingest(raw=raw, mailbox=mailbox)
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
            _check(client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)"), "store")
            last_uid = uid
            Mailbox.objects.filter(pk=mailbox.pk).update(
                imap_uidvalidity=uidvalidity, imap_last_uid=last_uid
            )
        Mailbox.objects.filter(pk=mailbox.pk).update(
            imap_uidvalidity=uidvalidity,
            imap_last_uid=last_uid,
            imap_last_polled_at=timezone.now(),
            imap_last_error="",
        )
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return counts


def mailboxes_poll() -> None:
    """Poll every active IMAP mailbox; one failing server does not stop the others."""
    for mailbox in Mailbox.objects.filter(active=True, imap_enabled=True):
        try:
            mailbox_poll(mailbox=mailbox)
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as error:
            log.warning("polling mailbox %s failed: %r", mailbox.name, error)
            message = re.sub(r"\s+", " ", str(error))[:1000]
            Mailbox.objects.filter(pk=mailbox.pk).update(
                imap_last_error=message, imap_last_polled_at=timezone.now()
            )
