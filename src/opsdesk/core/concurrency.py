"""Optimistic concurrency for versioned records."""

from typing import TypeVar

from django.db import models

from opsdesk.core.errors import StaleVersion

M = TypeVar("M", bound=models.Model)


def lock_for_update(model: type[M], pk) -> M:
    """Reload a record holding its row lock for the rest of the transaction."""
    return model._default_manager.select_for_update().get(pk=pk)


def version_check(obj: models.Model, expected_version: int | None) -> None:
    """Refuse the change when the caller edited an older version than the stored one."""
    if expected_version is None:
        return
    if int(expected_version) != obj.version:
        raise StaleVersion(
            f"{obj} was changed by someone else (you edited version {expected_version}, "
            f"it is now at version {obj.version}). Reload it and apply your change again.",
            fields={"version": [f"Current version is {obj.version}."]},
        )


def version_bump(obj: models.Model) -> None:
    obj.version += 1
