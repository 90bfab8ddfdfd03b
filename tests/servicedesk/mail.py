"""Real-world-shaped messages for the inbound mail tests, built with EmailMessage."""

from email.message import EmailMessage
from email.utils import make_msgid


def message(
    *,
    sender="Alice Archer <alice@example.com>",
    to="servicedesk@example.com",
    subject="Laptop will not boot",
    body="My laptop shows a black screen since this morning.",
    html=None,
    message_id=None,
    in_reply_to=None,
    references=None,
    headers=None,
    attachments=(),
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    if body is not None:
        msg.set_content(body)
    if html is not None:
        if body is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for filename, maintype, subtype, data in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def raw(msg) -> bytes:
    return bytes(msg)
