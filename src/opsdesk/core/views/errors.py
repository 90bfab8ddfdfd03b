"""Error pages: JSON in the API's error shape under /api/, friendly HTML elsewhere."""

from django.http import JsonResponse
from django.shortcuts import render

from opsdesk.core.errors import error_body


def _answer(request, status: int, code: str, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message), status=status)
    return render(request, "core/error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _answer(request, 400, "bad_request", "The request could not be understood.")


def permission_denied(request, exception=None):
    return _answer(request, 403, "permission_denied", "You do not have access to this page.")


def page_not_found(request, exception=None):
    return _answer(request, 404, "not_found", "There is nothing at this address.")


def server_error(request):
    return _answer(
        request, 500, "server_error", "Something went wrong on our side. The error has been logged."
    )
