"""Fields that choose a record: people (core's own), and whatever a higher app registers.

``core`` sits below ``cmdb``, so the engine cannot import CIs; ``opsdesk.cmdb`` registers its
lookups when it starts::

    register_reference("ci", queryset=lambda viewer: ..., label=lambda ci: ci.name)

``queryset(viewer)`` gives the rows a viewer may choose (``viewer`` is None for the system);
the picker offers them by ``search_fields`` and writes ``Label <id>`` into the input, which is
what ``resolve`` reads back, as it reads a bare name typed without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.db.models import Model, Q, QuerySet

_BRACKETED = re.compile(r"<#?([^<>]+)>\s*$")


@dataclass(frozen=True)
class Reference:
    type_key: str
    queryset: Callable[..., QuerySet]
    label: Callable[[Model], str]
    picker_url: str | None = None  # a URL name answering ?q= with picker options
    search_fields: tuple[str, ...] = ("name",)
    noun: str = "records"

    def rows(self, viewer) -> QuerySet:
        return self.queryset(viewer)

    def search(self, text: str, *, viewer) -> QuerySet:
        queryset = self.rows(viewer)
        for word in text.split()[:5]:
            match = Q()
            for name in self.search_fields:
                match |= Q(**{f"{name}__icontains": word})
            queryset = queryset.filter(match)
        return queryset.order_by(*self.search_fields[:1], "pk")

    def value(self, obj: Model) -> str:
        """The text a picker holds for ``obj``."""
        return f"{self.label(obj)} <#{obj.pk}>"

    def resolve(self, raw, *, viewer) -> Model:
        """The row ``raw`` names (an id, ``Label <#id>`` or a unique name); raises
        ``forms.ValidationError`` with a message for the person filling the form."""
        if isinstance(raw, Model):
            raw = raw.pk
        text = str(raw).strip()
        rows = self.rows(viewer)
        bracketed = _BRACKETED.search(text)
        key = bracketed.group(1).strip() if bracketed else text
        if key.isdigit():
            found = rows.filter(pk=int(key)).first()
            if found is not None:
                return found
        if not bracketed:
            first = self.search_fields[0]
            matches = list(rows.filter(**{f"{first}__iexact": text})[:2])
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise forms.ValidationError(
                    f"Several {self.noun} are called {text}; pick one from the list."
                )
        raise forms.ValidationError(f"There is nothing you may choose called {text}.")


_REGISTRY: dict[str, Reference] = {}


def register_reference(
    type_key: str,
    *,
    queryset: Callable[..., QuerySet],
    label: Callable[[Model], str] = str,
    picker_url: str | None = None,
    search_fields: tuple[str, ...] = ("name",),
    noun: str = "records",
) -> Reference:
    """Let form fields of type ``type_key`` choose rows of ``queryset(viewer)``.

    Registering the same key again replaces the declaration (apps may be reloaded in tests).
    """
    reference = Reference(
        type_key=type_key,
        queryset=queryset,
        label=label,
        picker_url=picker_url,
        search_fields=tuple(search_fields),
        noun=noun,
    )
    _REGISTRY[type_key] = reference
    return reference


def reference_for(type_key: str) -> Reference | None:
    return _REGISTRY.get(type_key)


def registered_references() -> dict[str, Reference]:
    return dict(_REGISTRY)
