"""Related records: a "see also" link between any two registered records, in either direction.

Parent/child and duplicate-of are an incident's own structure; this is the loose link an agent
draws between, say, two incidents with the same cause (later: an incident and a problem or a
request). Links are agents' working knowledge, so requesters neither see nor make them. Each
side's timeline and the audit trail record who linked or unlinked what.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import RecordLink, TimelineKind
from opsdesk.core.records import record_delete, validated_save
from opsdesk.core.roles import is_agent
from opsdesk.core.search import RecordType, record_type_of, record_types
from opsdesk.core.timeline import timeline_add

REFUSED = "Only service-desk staff link records."


@dataclass(frozen=True)
class RelatedRecord:
    """One link as seen from a record: the record at its other end."""

    link: RecordLink
    record_type: RecordType
    record: models.Model
    url: str  # the other record's page, for this viewer

    @property
    def number(self) -> str:
        return self.record.number

    @property
    def title(self) -> str:
        return self.record_type.title(self.record)


def _end(record: models.Model) -> tuple[ContentType, str]:
    return ContentType.objects.get_for_model(record), str(record.pk)


def link_ends(record: models.Model, other: models.Model) -> dict:
    """The link's fields with its two ends in a fixed order, so (x, y) and (y, x) are one pair."""
    first, second = sorted([_end(record), _end(other)], key=lambda end: (end[0].pk, end[1]))
    return {"a_type": first[0], "a_id": first[1], "b_type": second[0], "b_id": second[1]}


def _links_of(record: models.Model):
    content_type, object_id = _end(record)
    return RecordLink.objects.filter(
        Q(a_type=content_type, a_id=object_id) | Q(b_type=content_type, b_id=object_id)
    )


def _registered(record: models.Model, field: str) -> RecordType:
    record_type = record_type_of(record)
    if record_type is None:
        raise ValidationFailed(
            "Only tickets can be related.", fields={field: ["This kind of record has no links."]}
        )
    return record_type


def _may_see(actor, record: models.Model) -> bool:
    record_type = record_type_of(record)
    return record_type is not None and record_type.visible(actor).filter(pk=record.pk).exists()


@transaction.atomic
def record_link(*, actor, record: models.Model, other: models.Model) -> RecordLink:
    """Relate ``record`` and ``other``; refused for non-agents, itself and an existing pair.

    Field errors name ``number``: people give the other record by its number.
    """
    if not is_agent(actor):
        raise NotPermitted(REFUSED)
    _registered(record, "record")
    _registered(other, "number")
    if not (_may_see(actor, record) and _may_see(actor, other)):
        raise ValidationFailed(
            "No such record that you may see.", fields={"number": ["Check the number."]}
        )
    if _end(record) == _end(other):
        raise ValidationFailed(
            "A record cannot be related to itself.",
            fields={"number": ["Give the number of another record."]},
        )
    link = RecordLink(**link_ends(record, other), created_by=actor, created_at=timezone.now())
    duplicate = ValidationFailed(
        f"{record.number} and {other.number} are already related.",
        fields={"number": ["These records are already linked."]},
    )
    if _links_of(record).filter(**link_ends(record, other)).exists():
        raise duplicate
    try:
        # Two agents linking the same pair at once: the unique constraint decides.
        with transaction.atomic():
            validated_save(link)
    except IntegrityError:
        raise duplicate from None
    audit_record(
        action="record_link.created",
        obj=link,
        object_repr=f"{record.number} ~ {other.number}",
        changes={"records": {"from": None, "to": [record.number, other.number]}},
        actor=actor,
    )
    _timeline_change(actor=actor, record=record, other=other, linked=True)
    return link


@transaction.atomic
def record_unlink(*, actor, link: RecordLink) -> None:
    """Remove a related-records link; both records' timelines say so."""
    if not is_agent(actor):
        raise NotPermitted(REFUSED)
    ends = [_record_at(link.a_type, link.a_id), _record_at(link.b_type, link.b_id)]
    if any(end is None or not _may_see(actor, end) for end in ends):
        raise NotPermitted("You may not change links of a record you cannot see.")
    record, other = ends
    record_delete(
        link,
        actor=actor,
        action="record_link.deleted",
        changes={"records": {"from": [record.number, other.number], "to": None}},
        object_repr=f"{record.number} ~ {other.number}",
    )
    _timeline_change(actor=actor, record=record, other=other, linked=False)


def _timeline_change(*, actor, record, other, linked: bool) -> None:
    verb = "Related to" if linked else "No longer related to"
    for here, there in ((record, other), (other, record)):
        timeline_add(
            record=here,
            kind=TimelineKind.SYSTEM,
            author=actor,
            body=f"{verb} {there.number}.",
            data={"field": "related", "from": None, "to": there.number}
            if linked
            else {"field": "related", "from": there.number, "to": None},
        )


def _record_at(content_type: ContentType, object_id: str) -> models.Model | None:
    model = content_type.model_class()
    return model._default_manager.filter(pk=object_id).first() if model else None


def related_records(*, viewer, record: models.Model) -> list[RelatedRecord]:
    """The records linked to ``record`` that ``viewer`` may see, oldest link first; nothing
    for requesters."""
    if not is_agent(viewer):
        return []
    content_type, object_id = _end(record)
    here = (content_type.pk, object_id)
    others: dict[tuple[int, str], RecordLink] = {}
    for link in _links_of(record):
        a_end, b_end = (link.a_type_id, link.a_id), (link.b_type_id, link.b_id)
        others[b_end if a_end == here else a_end] = link
    found: dict[tuple[int, str], RelatedRecord] = {}
    for record_type in record_types():
        content_type = ContentType.objects.get_for_model(record_type.model)
        ids = [object_id for type_id, object_id in others if type_id == content_type.pk]
        if not ids:
            continue
        for hit in record_type.visible(viewer).filter(pk__in=ids):
            key = (content_type.pk, str(hit.pk))
            found[key] = RelatedRecord(
                link=others[key],
                record_type=record_type,
                record=hit,
                url=record_type.url(hit, viewer),
            )
    return sorted(found.values(), key=lambda item: (item.link.created_at, item.link.pk))


def record_link_for(*, viewer, record: models.Model, pk) -> RecordLink | None:
    """One of ``record``'s links, by id, if ``viewer`` sees it on the record."""
    for item in related_records(viewer=viewer, record=record):
        if str(item.link.pk) == str(pk):
            return item.link
    return None
