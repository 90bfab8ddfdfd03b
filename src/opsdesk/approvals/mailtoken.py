"""The token that threads a mail reply to its approval request.

Every approval mail carries ``[APR:<token>]`` in its subject, a random token of 22 URL-safe
characters whose SHA-256 is kept in ``ApprovalToken`` (kind "mail"). A reply keeps the
subject, so inbound mail finds the request by it before any ticket threading happens.
"""

import re

MAIL_TOKEN_IN_SUBJECT = re.compile(r"\[APR:([A-Za-z0-9_-]{16,64})\]")


def mail_subject_token(subject: str) -> str:
    """The approval token in a mail subject, or ''."""
    found = MAIL_TOKEN_IN_SUBJECT.search(subject or "")
    return found.group(1) if found else ""


def mail_subject_tag(token: str) -> str:
    return f"[APR:{token}]"
