"""Attachment downloads, permission-checked against the record the file belongs to."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_GET

from opsdesk.core.attachments import file_response
from opsdesk.core.models import Attachment
from opsdesk.core.roles import is_admin, is_agent


def may_download(user, attachment: Attachment) -> bool:
    """Whether ``user`` may fetch ``attachment``.

    The convention for record types: a model whose attachments non-agents may fetch
    implements ``is_visible_to(user) -> bool`` (a requester sees their own ticket, a
    confidential record hides itself from agents outside its team, ...). The rule here:

    - administrators may always;
    - non-public (internal) attachments are for agents only;
    - a record with ``is_visible_to`` decides for everyone else;
    - a record without it is agents-only, so a new record type is closed until it says otherwise.
    """
    if is_admin(user):
        return True
    if not attachment.is_public and not is_agent(user):
        return False
    record = attachment.record
    if record is None:
        return False
    is_visible_to = getattr(record, "is_visible_to", None)
    if callable(is_visible_to):
        return bool(is_visible_to(user))
    return is_agent(user)


@require_GET
@login_required
def attachment_download(request, pk):
    """Stream the file as a download under its original name and its sniffed type.

    Refusals answer 404, like a missing file, so attachment ids cannot be probed.
    """
    attachment = Attachment.objects.select_related("content_type").filter(pk=pk).first()
    if attachment is None or not may_download(request.user, attachment):
        raise Http404
    return file_response(attachment)
