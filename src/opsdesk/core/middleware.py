"""Request id, body size limit, compression, user time zone, and the audit context for every
request."""

import re
import uuid
import zoneinfo

from django.conf import settings
from django.http import FileResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.gzip import GZipMiddleware
from django.utils import timezone

from opsdesk.core.context import action_context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Take a sane X-Request-ID from a proxy or make one; echo it back for support."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class CompressionMiddleware(GZipMiddleware):
    """Gzip pages and API answers for browsers that accept it; leave file downloads alone.

    An attachment is sent as stored, with its length, so downloads show progress and resume;
    most are compressed formats already. Django's gzip adds random bytes to each answer,
    which keeps the CSRF token on a page from being guessed through its compressed size
    (BREACH)."""

    def process_response(self, request, response):
        if isinstance(response, FileResponse):
            return response
        return super().process_response(request, response)


def body_limit_for(request) -> int:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        return settings.MAX_UPLOAD_BODY_BYTES
    return settings.MAX_BODY_BYTES


def too_large_response(limit: int) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": "payload_too_large",
                "message": f"The request body is larger than the limit of {limit} bytes.",
                "fields": {},
            }
        },
        status=413,
    )


class BodySizeLimitMiddleware:
    """Refuse an oversized body from its Content-Length before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit_for(request)
        if length > limit:
            return too_large_response(limit)
        return self.get_response(request)


def reads_raw_body(view):
    """Mark a view that reads ``request.body`` itself: no middleware may parse its form first.

    Once Django has parsed a multipart body into ``request.POST`` the stream is spent, and
    ``request.body`` raises; such a view checks its own input instead.
    """
    view.reads_raw_body = True
    return view


def _reads_raw_body(view_func) -> bool:
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    return getattr(view_func, "reads_raw_body", False) or getattr(
        view_class, "reads_raw_body", False
    )


class NullCharacterMiddleware:
    """Refuse NUL characters in query strings and form fields: no database stores them in
    text (PostgreSQL raises), so they can only be an attack or a broken client."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get(
            "QUERY_STRING", ""
        ):
            return self._refuse(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Form fields are checked once the view is known: a view that reads the raw body
        # (the ingest endpoints) must get it unread, whatever the sender's content type.
        if request.method != "POST" or _reads_raw_body(view_func):
            return None
        content_type = request.META.get("CONTENT_TYPE", "")
        is_form = content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        )
        # Only the text fields: uploaded files may contain any bytes.
        if is_form:
            try:
                fields = request.POST.lists()
            except MultiPartParserError:
                return self._refuse(request, "The form body is malformed and cannot be read.")
            if any("\x00" in value for _, values in fields for value in values):
                return self._refuse(request)
        return None

    def _refuse(self, request, message=None):
        message = message or "The request contains a NUL character, which is not allowed in text."
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"error": {"code": "invalid", "message": message, "fields": {}}}, status=400
            )
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        tz_name = getattr(user, "time_zone", None) if user and user.is_authenticated else None
        if tz_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tz_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class AuditContextMiddleware:
    """Changes made while serving this request are attributed to its user and source."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "api" if request.path.startswith("/api/") else "web"
        with action_context(source=source, request=request, request_id=request.request_id):
            return self.get_response(request)
