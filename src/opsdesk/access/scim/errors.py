"""SCIM error answers (RFC 7644 §3.12): a status, a ``scimType`` where one applies, a detail."""

import json

from django.http import HttpResponse

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CONTENT_TYPE = "application/scim+json"


class ScimError(Exception):
    """A request refused with a SCIM error body; raised anywhere, answered by the view."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def error_response(error: ScimError) -> HttpResponse:
    body = {"schemas": [ERROR_SCHEMA], "status": str(error.status), "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    response = HttpResponse(json.dumps(body), status=error.status, content_type=CONTENT_TYPE)
    for name, value in error.headers.items():
        response[name] = value
    return response
