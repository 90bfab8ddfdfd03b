"""The development mail sink: the email backend used until an SMTP server is configured.

The mailer builds and sends each message exactly as it would over SMTP; this backend keeps
it in the database instead, where administrators read it on the "Sent mail" page and agents
see it in the record's mail log. Nothing is lost and nothing fails for want of a server.
"""

from email import message_from_string, policy

from django.core.mail.backends.base import BaseEmailBackend

from opsdesk.notifications.models import Delivery, SentMail


class SinkBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        count = 0
        for message in email_messages or []:
            mime = message.message()
            message_id = str(mime.get("Message-ID", ""))
            link = (
                Delivery.objects.filter(message_id=message_id)
                .values("content_type_id", "object_id")
                .first()
                or {}
            )
            SentMail.objects.create(
                message_id=message_id[:255],
                from_address=str(message.from_email or "")[:255],
                to=", ".join(message.recipients()),
                subject=str(message.subject or "")[:255],
                raw=mime.as_string(),
                content_type_id=link.get("content_type_id"),
                object_id=link.get("object_id") or "",
            )
            count += 1
        return count


def parse(sent: SentMail) -> dict:
    """Headers and plain-text body of a kept mail, for display (never rendered as HTML)."""
    mime = message_from_string(sent.raw, policy=policy.default)
    body = mime.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    if not text:
        html = mime.get_body(("html",))
        text = html.get_content() if html is not None else ""
    return {"headers": [(k, str(v)) for k, v in mime.items()], "text": text}
