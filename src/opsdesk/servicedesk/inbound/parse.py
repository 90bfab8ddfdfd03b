"""Read one RFC 822 message with the standard library into what the service desk needs.

Nothing here touches the database: the parser says who wrote, what about, which thread it
answers, the new text without quotes and signature, and the files it carries. A message it
cannot read raises ``Unreadable`` with a reason a person can act on.
"""

import email
import email.parser
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses

from opsdesk.servicedesk.inbound.html import html_to_text

# Any registered record type's number: [INC0001234], [TASK0001002].
NUMBER_IN_SUBJECT = re.compile(r"\[([A-Z]{2,5}\d{7,})\]", re.IGNORECASE)
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# MIME faults after which the parser is only guessing at the structure.
FATAL_DEFECTS = (
    "NoBoundaryInMultipartDefect",
    "StartBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "MissingHeaderBodySeparatorDefect",
)


class Unreadable(Exception):
    """The message cannot be turned into a ticket change; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class MailFile:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass
class ParsedMail:
    message_id: str
    sender: str  # the address, lower case
    sender_name: str
    subject: str
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    text: str = ""
    files: list[MailFile] = field(default_factory=list)
    automatic: str = ""  # why this is machine mail (auto-reply, bounce, list), if it is

    @property
    def thread_ids(self) -> list[str]:
        """In-Reply-To first, then References newest first: the closest parent wins."""
        return [i for i in [self.in_reply_to, *reversed(self.references)] if i]

    @property
    def number(self) -> str:
        found = NUMBER_IN_SUBJECT.search(self.subject)
        return found.group(1).upper() if found else ""

    @property
    def clean_subject(self) -> str:
        subject = NUMBER_IN_SUBJECT.sub("", self.subject)
        return " ".join(REPLY_PREFIX.sub("", subject).split())


def _header(message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception as error:  # the header parser gives up on some broken headers
        raise Unreadable(f"The {name} header cannot be read: {error}") from None
    return clean(str(value or "").strip())


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _automatic(message, sender: str) -> str:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if message.get(name) is not None:
            return f"{name} header"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    local = sender.split("@", 1)[0]
    if sender and local in ("mailer-daemon", "postmaster"):
        return "bounce (mail system sender)"
    if message.get_content_type() == "multipart/report":
        return "bounce (delivery report)"
    if _header(message, "Return-Path") == "<>":
        return "bounce (empty return path)"
    return ""


def _decode(part) -> str:
    try:
        return part.get_content()
    except LookupError:
        charset = part.get_content_charset() or "?"
        raise Unreadable(f"Unknown character set {charset!r}.") from None
    except Exception as error:
        raise Unreadable(f"A body part cannot be decoded: {error}") from None


def clean(value: str) -> str:
    """Text as stored: no NUL characters (PostgreSQL refuses them, SQLite would keep them)."""
    return (value or "").replace("\x00", "")


def _as_text(part) -> str:
    text = _decode(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text


def _text_parts(part, *, top: bool = False) -> list[str]:
    """Every text the sender wrote, in order: each text/plain part, each message in a
    digest or forwarded inline, and one choice (plain before HTML) per alternative."""
    if part.get_content_disposition() == "attachment":
        return []
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        texts = []
        for inner in part.get_payload() or []:
            texts += _text_parts(inner, top=True)
        return texts
    if part.get_content_maintype() == "multipart":
        children = list(part.iter_parts())
        if content_type == "multipart/alternative":
            for wanted in ("text/plain", "text/html"):
                for child in children:
                    if child.get_content_type() == wanted:
                        return _text_parts(child, top=True)
            for child in reversed(children):
                if child.is_multipart():
                    return _text_parts(child, top=True)
            return []
        texts = []
        for child in children:
            texts += _text_parts(child)
        return texts
    if content_type == "text/plain" or (content_type == "text/html" and top):
        return [_as_text(part)]
    return []


def _body_text(message: EmailMessage) -> str:
    texts = [strip_reply(text) for text in _text_parts(message, top=True)]
    if not any(texts):
        part = message.get_body(preferencelist=("plain", "html"))
        texts = [strip_reply(_as_text(part))] if part is not None else []
    return "\n\n".join(text for text in texts if text)


def _files(message: EmailMessage, body_part) -> list[MailFile]:
    files = []
    for part in message.walk():
        if part.is_multipart() or part is body_part:
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        inline_image = part.get_content_maintype() == "image" and part.get("Content-ID")
        if disposition != "attachment" and not filename and not inline_image:
            continue
        if part.get_content_type() in ("text/plain", "text/html") and disposition != "attachment":
            continue  # an alternative body, not a file
        data = part.get_payload(decode=True) or b""
        files.append(
            MailFile(
                filename=filename or f"inline.{part.get_content_subtype()}",
                content_type=part.get_content_type(),
                data=data,
                inline=disposition == "inline" or bool(inline_image),
            )
        )
    return files


def parse_mail(raw: bytes) -> ParsedMail:
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except Exception as error:
        raise Unreadable(f"The message cannot be parsed: {error}") from None
    from_value = _header(message, "From")
    addresses = [a for a in getaddresses([from_value]) if a[1]]
    sender_name, sender = (addresses[0][0], addresses[0][1].lower()) if addresses else ("", "")
    automatic = _automatic(message, sender)
    if automatic:
        # Machine mail is recognised from its headers alone, even when its body is broken.
        return ParsedMail(
            message_id=(_ids(_header(message, "Message-ID")) or [""])[0],
            sender=sender,
            sender_name=sender_name,
            subject=" ".join(_header(message, "Subject").split()),
            automatic=automatic,
        )
    if not sender:
        raise Unreadable("The message has no sender address.")
    faults = [type(d).__name__ for d in message.defects if type(d).__name__ in FATAL_DEFECTS]
    for part in message.walk():
        faults += [type(d).__name__ for d in part.defects if type(d).__name__ in FATAL_DEFECTS]
    if faults:
        raise Unreadable(f"Malformed MIME structure ({', '.join(sorted(set(faults)))}).")
    recipients = [
        a.lower()
        for _, a in getaddresses([_header(message, "To"), _header(message, "Cc")])
        if a and "@" in a
    ]
    body_part = message.get_body(preferencelist=("plain", "html"))
    files = _files(message, body_part)
    for item in files:
        item.filename = clean(item.filename)
    return ParsedMail(
        message_id=(_ids(_header(message, "Message-ID")) or [""])[0],
        sender=sender,
        sender_name=sender_name,
        subject=" ".join(_header(message, "Subject").split()),
        in_reply_to=(_ids(_header(message, "In-Reply-To")) or [""])[0],
        references=_ids(_header(message, "References")),
        recipients=recipients,
        text=clean(_body_text(message)),
        files=files,
    )


def peek_envelope(raw: bytes) -> tuple[str, str, str]:
    """Sender address, Message-ID and subject of a message whose body cannot be read, from
    its headers alone; empty strings for whatever is not readable either."""
    try:
        headers = email.parser.BytesHeaderParser(policy=policy.default).parsebytes(raw[:262144])
    except Exception:
        return "", "", ""

    def value(name: str) -> str:
        try:
            return clean(str(headers.get(name) or "").strip())
        except Exception:
            return ""

    addresses = [a for a in getaddresses([value("From")]) if a[1]]
    sender = addresses[0][1].lower() if addresses else ""
    return sender, (_ids(value("Message-ID")) or [""])[0], " ".join(value("Subject").split())


# Where the quoted original starts in the common mail programs.
QUOTE_HEADERS = (
    re.compile(r"^\s*On\b.{0,200}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am\b.{0,200}\bschrieb\b.*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le\b.{0,200}\ba écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^\s*From:\s.+$"),
)
SIGNATURE_STARTS = (
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*Sent from my \w+", re.IGNORECASE),
    re.compile(r"^\s*Get Outlook for \w+", re.IGNORECASE),
)


def strip_reply(text: str) -> str:
    """The new part of a reply: stop at the quoted original or the signature."""
    kept = []
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if any(p.match(line) for p in SIGNATURE_STARTS):
            break
        if any(p.match(line) for p in QUOTE_HEADERS):
            # "From: ..." is only the start of a quote when a header block follows it.
            if line.lstrip().startswith("From:"):
                following = " ".join(lines[index + 1 : index + 4])
                if not re.search(r"\b(Sent|Date|To|Subject):", following):
                    kept.append(line)
                    continue
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def address_of(value: str) -> str:
    try:
        return Address(addr_spec=value).addr_spec.lower()
    except Exception:
        return (value or "").strip().lower()
