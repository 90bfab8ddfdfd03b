"""Turn one received message into a ticket change, or keep it visibly when that is not possible.

Every way mail gets in (IMAP polling, the HTTP endpoint, ``opsdesk ingest-email``) ends in
``mail_ingest``. One transaction per message: the incident or comment, its files, the original
.eml and the Message-ID in core's index commit together, so a message is processed once.
"""

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from opsdesk.approvals.mailtoken import mail_subject_token
from opsdesk.approvals.services import approval_decide_by_mail
from opsdesk.core.attachments import ORIGINAL_MAIL_TYPE, attachment_store
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.mail import mail_remember, mail_seen, mail_thread_record
from opsdesk.core.models import MailMessageRecord, User
from opsdesk.core.roles import Role, is_admin, is_agent
from opsdesk.core.services import user_create
from opsdesk.core.tickets.registry import ticket_by_number, ticket_type_of, ticket_types
from opsdesk.core.tickets.services import ticket_comment
from opsdesk.incidents import services as incidents
from opsdesk.servicedesk.inbound.parse import (
    ParsedMail,
    Unreadable,
    clean,
    parse_mail,
    peek_envelope,
)
from opsdesk.servicedesk.models import Mailbox, UnknownSender, UnprocessedMail, UnprocessedStatus

log = logging.getLogger(__name__)

MAX_FILES = 20


def max_files() -> int:
    return int(getattr(settings, "OPSDESK_MAIL_MAX_FILES", MAX_FILES))


def max_message_bytes() -> int:
    # The original is kept as an attachment, so a message may not outgrow that limit.
    configured = int(getattr(settings, "OPSDESK_MAIL_MAX_BYTES", settings.ATTACHMENT_MAX_BYTES))
    return min(configured, settings.ATTACHMENT_MAX_BYTES)


@dataclass
class Ingested:
    """What happened to one message: created, commented, approval (it decided an approval
    request), ignored, duplicate or unprocessed."""

    outcome: str
    incident: object | None = None  # the ticket, of whichever record type
    unprocessed: UnprocessedMail | None = None
    reason: str = ""


class _Duplicate(Exception):
    pass


def mail_keep_unprocessed(
    *, raw: bytes, reason: str, mailbox=None, parsed: ParsedMail | None = None
) -> UnprocessedMail:
    """Keep the whole message with the reason, for a person to look at. When the body could
    not be read, the sender, Message-ID and subject still come from the headers."""
    if parsed is not None:
        sender, message_id, subject = parsed.sender, parsed.message_id, parsed.subject
    else:
        sender, message_id, subject = peek_envelope(raw)
    return UnprocessedMail.objects.create(
        mailbox=mailbox,
        reason=clean(reason)[:500],
        sender=clean(sender)[:320],
        subject=clean(subject)[:500],
        message_id=clean(message_id)[:255],
        size=len(raw),
        raw=raw,
    )


def _is_own_mail(parsed: ParsedMail) -> bool:
    own = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    own.add(settings.DEFAULT_FROM_EMAIL.lower())
    if parsed.sender in own:
        return True
    return MailMessageRecord.objects.filter(message_id=parsed.message_id, direction="out").exists()


_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]")


def _find_user(address: str) -> User | None:
    if not address:
        return None
    return User.objects.filter(email__iexact=address, is_active=True).order_by("pk").first()


def _create_contact(parsed: ParsedMail) -> User:
    """A requester account for someone who wrote in; they sign in after a password reset."""
    # A user name holds letters, digits and . @ + - _ only; a mail's local part may hold more.
    local = clean(parsed.sender).split("@", 1)[0]
    base = _NOT_IN_USERNAME.sub("", local)[:100] or "contact"
    username = base
    while User.objects.filter(username=username).exists():
        username = f"{base}.{secrets.token_hex(2)}"
    return user_create(
        actor=None,  # nobody signed in: the entry names the mail source
        username=username,
        email=parsed.sender,
        display_name=clean(parsed.sender_name)[:150] or clean(parsed.sender),
        roles=[Role.REQUESTER],
    )


def _thread_ticket(parsed: ParsedMail):
    """The ticket a message continues: by the number in its subject, of any registered record
    type, or else by the message it replies to."""
    if parsed.number:
        found = ticket_by_number(parsed.number)
        if found is not None:
            return found
    row = mail_thread_record(message_ids=parsed.thread_ids)
    if row is not None:
        model = row.content_type.model_class()
        if any(model is t.model for t in ticket_types()):
            return model._default_manager.filter(pk=row.object_id).first()
    return None


def _on_thread(incident, address: str) -> bool:
    """Was this address part of the conversation (a recipient or sender of its mail)?"""
    rows = MailMessageRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(incident),
        object_id=str(incident.pk),
    ).values_list("addresses", flat=True)
    return any(address in (addresses or []) for addresses in rows)


def may_join(incident, *, user: User | None, address: str) -> bool:
    """Only people already in the conversation add to a ticket by mail; a stranger who
    reuses a subject or a Message-ID must not write into someone else's ticket."""
    if user is not None:
        if user.pk == incident.caller_id or is_agent(user):
            return True
        if incident.watchers.filter(pk=user.pk).exists():
            return True
    return _on_thread(incident, address)


def _store_files(incident, parsed: ParsedMail, *, raw: bytes, user) -> list[str]:
    notes = []
    original = ContentFile(raw, name=f"{(parsed.message_id or 'message').strip('<>')}.eml"[-120:])
    attachment_store(
        record=incident,
        upload=original,
        uploaded_by=user,
        is_public=False,
        known_type=ORIGINAL_MAIL_TYPE,
    )
    for index, item in enumerate(parsed.files):
        if index >= max_files():
            notes.append(
                f"{len(parsed.files) - max_files()} more file(s) are only in the original."
            )
            break
        if not item.data or len(item.data) > settings.ATTACHMENT_MAX_BYTES:
            notes.append(f"{item.filename} was empty or too large; it is only in the original.")
            continue
        upload = ContentFile(item.data, name=item.filename)
        try:
            attachment_store(record=incident, upload=upload, uploaded_by=user)
        except DomainError as refusal:
            notes.append(f"{item.filename}: {refusal.message}")
    return notes


def _new_incident(parsed: ParsedMail, *, caller: User, mailbox, follow_up):
    description = parsed.text
    if follow_up is not None:
        description = f"Follow-up to {follow_up.number}.\n\n{description}"
    incident = incidents.incident_open(
        actor=caller,
        caller=caller,
        short_description=(parsed.clean_subject or "(no subject)")[:200],
        description=description,
        channel="email",
    )
    if incident.assignment_group_id is None and mailbox is not None and mailbox.assignment_group:
        incident = incidents.incident_assign(
            actor=None, incident=incident, assignment_group=mailbox.assignment_group
        )
    return incident


def _reply(parsed: ParsedMail, *, incident, user: User | None, notes: list[str]):
    body = parsed.text or "(The reply had no new text; see the attached message.)"
    if notes:
        body += "\n\n" + "\n".join(notes)
    if user is not None and ticket_type_of(incident).visible_to(incident, user):
        ticket_comment(actor=user, record=incident, body=body)
    else:
        # Someone on the thread without an account that may see the ticket: the system posts.
        who = f"{parsed.sender_name} <{parsed.sender}>" if parsed.sender_name else parsed.sender
        ticket_comment(actor=None, record=incident, body=f"Email from {who}:\n\n{body}")


def _takes_replies(ticket) -> bool:
    """Open or resolved (the caller may still answer); a final ticket gets a new one."""
    kind = ticket_type_of(ticket)
    return ticket.state in kind.open_states | kind.workflow.resolved


def _process(parsed: ParsedMail, *, raw: bytes, mailbox) -> Ingested:
    user = _find_user(parsed.sender)
    incident = _thread_ticket(parsed)
    joins = incident is not None and may_join(incident, user=user, address=parsed.sender)
    if joins and _takes_replies(incident):
        notes = _store_files(incident, parsed, raw=raw, user=user)
        _reply(parsed, incident=incident, user=user, notes=notes)
        outcome = "commented"
    else:
        if user is None:
            if mailbox is not None and mailbox.unknown_sender == UnknownSender.REJECT:
                raise Unreadable(f"Unknown sender {parsed.sender} and the mailbox rejects them.")
            user = _create_contact(parsed)
        follow_up = incident if joins else None  # a reply to a closed ticket opens a new one
        incident = _new_incident(parsed, caller=user, mailbox=mailbox, follow_up=follow_up)
        notes = _store_files(incident, parsed, raw=raw, user=user)
        if notes:
            incidents.incident_comment(actor=None, incident=incident, body="\n".join(notes))
        outcome = "created"
    _, first = mail_remember(
        message_id=parsed.message_id,
        direction="in",
        record=incident,
        addresses=[parsed.sender, *parsed.recipients],
        subject=parsed.subject,
    )
    if not first:
        raise _Duplicate
    return Ingested(outcome=outcome, incident=incident)


def _approval_reply(parsed: ParsedMail, *, token: str, raw: bytes, mailbox) -> Ingested:
    """A reply to an approval mail (``[APR:<token>]`` in the subject) decides that request and
    nothing else: it never becomes a ticket or a comment. A reply that decides nothing (an
    unknown or spent token, a sender who is not the approver, no approve/reject word) is kept
    as unprocessed mail with the reason, for an administrator to see."""
    with transaction.atomic():
        result = approval_decide_by_mail(token=token, sender=parsed.sender, text=parsed.text)
        if result.decided:
            mail_remember(message_id=parsed.message_id, direction="in", subject=parsed.subject)
    if result.decided:
        return Ingested("approval", reason=result.message)
    reason = f"Approval reply not applied: {result.message}"
    log.warning("%s (from %s)", reason, parsed.sender)
    kept = mail_keep_unprocessed(raw=raw, reason=reason, mailbox=mailbox, parsed=parsed)
    return Ingested("unprocessed", unprocessed=kept, reason=reason)


def mail_ingest(*, raw: bytes, mailbox: Mailbox | None = None) -> Ingested:
    """Process one raw message; never loses it (unreadable mail is kept as unprocessed)."""
    if len(raw) > max_message_bytes():
        reason = (
            f"The message is {len(raw) // 1024} KB; the limit is {max_message_bytes() // 1024} KB."
        )
        return Ingested(
            "unprocessed",
            unprocessed=mail_keep_unprocessed(raw=raw, reason=reason, mailbox=mailbox),
            reason=reason,
        )
    parsed = None
    try:
        parsed = parse_mail(raw)
        if not parsed.message_id:
            # Without a Message-ID the content identifies the message, so a resend is caught.
            parsed.message_id = f"<{hashlib.sha256(raw).hexdigest()}@opsdesk.invalid>"
        if mail_seen(message_id=parsed.message_id):
            return Ingested("duplicate", reason="This message was processed before.")
        if parsed.automatic or _is_own_mail(parsed):
            reason = parsed.automatic or "sent by opsdesk itself"
            with transaction.atomic():
                mail_remember(message_id=parsed.message_id, direction="in", subject=parsed.subject)
            return Ingested("ignored", reason=reason)
        approval_token = mail_subject_token(parsed.subject)
        if approval_token:
            return _approval_reply(parsed, token=approval_token, raw=raw, mailbox=mailbox)
        with transaction.atomic():
            return _process(parsed, raw=raw, mailbox=mailbox)
    except (_Duplicate, IntegrityError):
        if parsed is not None and mail_seen(message_id=parsed.message_id):
            return Ingested("duplicate", reason="This message was processed before.")
        raise
    except Unreadable as error:
        reason = error.reason
    except DomainError as error:
        reason = f"The ticket change was refused: {error.message}"
    kept = mail_keep_unprocessed(raw=raw, reason=reason, mailbox=mailbox, parsed=parsed)
    return Ingested("unprocessed", unprocessed=kept, reason=reason)


def unprocessed_retry(*, item: UnprocessedMail) -> Ingested:
    """Run a kept message again (after fixing the mailbox or adding the sender)."""
    result = mail_ingest(raw=bytes(item.raw), mailbox=item.mailbox)
    if result.outcome in ("created", "commented", "approval", "duplicate", "ignored"):
        UnprocessedMail.objects.filter(pk=item.pk).update(status="processed")
    elif result.unprocessed is not None:
        # The new copy replaces the old one; keep only one entry per message.
        UnprocessedMail.objects.filter(pk=item.pk).delete()
    return result


@transaction.atomic
def unprocessed_dismiss(*, actor, item: UnprocessedMail) -> None:
    """Set a kept message aside: it stays listed under its status but needs no more work."""
    if not is_admin(actor):
        raise NotPermitted("Only administrators may dismiss kept mail.")
    UnprocessedMail.objects.filter(pk=item.pk).update(status=UnprocessedStatus.DISMISSED)
    audit_record(
        action="unprocessedmail.dismissed",
        obj=item,
        changes={"status": {"from": item.status, "to": UnprocessedStatus.DISMISSED}},
        actor=actor,
    )
