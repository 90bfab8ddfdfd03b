"""Incident management's configuration (categories, resolution codes, the priority matrix,
assignment rules): administrators change it, every change validated and audited."""

from django.db import models, transaction

from opsdesk.core.errors import NotPermitted
from opsdesk.core.records import record_create, record_delete, record_update
from opsdesk.core.roles import is_admin
from opsdesk.incidents.models import AssignmentRule, Category, PriorityMatrixRow, ResolutionCode

CONFIGURATION = (Category, ResolutionCode, PriorityMatrixRow, AssignmentRule)


def _require_admin(actor, model) -> None:
    if model not in CONFIGURATION:
        raise ValueError(f"{model.__name__} is not incident configuration")
    if actor is not None and not is_admin(actor):
        raise NotPermitted("Only administrators change incident configuration.")


@transaction.atomic
def config_create(*, actor, model: type[models.Model], values: dict) -> models.Model:
    _require_admin(actor, model)
    return record_create(model, values=values, actor=actor)


@transaction.atomic
def config_update(*, actor, obj: models.Model, values: dict) -> models.Model:
    _require_admin(actor, type(obj))
    return record_update(obj, values=values, actor=actor)


@transaction.atomic
def config_delete(*, actor, obj: models.Model) -> None:
    """Refused with a clear message while incidents or rules still use the row."""
    _require_admin(actor, type(obj))
    record_delete(obj, actor=actor)
