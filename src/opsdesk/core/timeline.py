"""The activity timeline of any record: write entries, read them, render their bodies."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from opsdesk.core.models import TimelineEntry
from opsdesk.core.models.timeline import PUBLIC_KINDS, TimelineKind

# CommonMark with raw HTML disabled: anything that looks like a tag is shown as text,
# and markdown-it refuses javascript:, vbscript: and data: links.
_markdown = MarkdownIt("js-default", {"linkify": False, "typographer": False})


def render_markdown(text: str) -> SafeString:
    return mark_safe(_markdown.render(text or ""))


def timeline_add(
    *,
    record: models.Model,
    kind: str,
    author=None,
    body: str = "",
    data: dict | None = None,
    at=None,
) -> TimelineEntry:
    if kind not in TimelineKind.values:
        raise ValueError(f"unknown timeline kind {kind!r}")
    return TimelineEntry.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=str(record.pk),
        kind=kind,
        author=author,
        body=body,
        data=data or {},
        created_at=at or timezone.now(),
    )


def timeline_for(*, record: models.Model, public_only: bool = False):
    qs = TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    ).select_related("author")
    if public_only:
        qs = qs.filter(kind__in=list(PUBLIC_KINDS))
    return qs
