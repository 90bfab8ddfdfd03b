"""Domain errors raised by services; the API and the UI turn each into a clear 4xx."""


class DomainError(Exception):
    """A request that the domain refuses. ``fields`` maps field names to messages."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    code = "invalid"


class InUse(ValidationFailed):
    """A delete refused because other records still point at this one (a 409)."""

    status_code = 409
    code = "in_use"


class TransitionRefused(DomainError):
    code = "transition_refused"


class StaleVersion(DomainError):
    status_code = 409
    code = "stale_version"


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """The one error shape of the API and of error pages under /api/."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}
