"""One error body for every 4xx: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from opsdesk.core.errors import DomainError, error_body


def _flatten(detail, prefix="") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [...], "items.0.name": [...]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "__all__" if key in ("non_field_errors",) else str(key)
            fields.update(_flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}"))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            fields[prefix or "__all__"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                fields.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        fields[prefix or "__all__"] = [str(detail)]
    return fields


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ProtectedError | RestrictedError):
        blockers = (
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
        used_by = sorted({str(obj._meta.verbose_name_plural) for obj in blockers})
        return Response(
            error_body(
                "in_use",
                f"This is still in use by {', '.join(used_by) or 'other records'}; "
                "change those first, or deactivate it instead.",
            ),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, OverflowError):
        # SQLite cannot compare with integers beyond 64 bits; such an id matches nothing anyway.
        return Response(
            error_body("invalid", "A number in the request is out of range."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.items()), ("", ["Invalid input."]))
        label = "" if first[0] == "__all__" else f"{first[0]}: "
        message = f"Please correct the fields listed: {label}{first[1][0]}"
        response.data = error_body("invalid", message, fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(str(code), str(detail))
    return response
