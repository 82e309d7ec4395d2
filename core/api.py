"""The one JSON error shape and the pagination every list endpoint uses.

Errors look like ``{"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}``.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    return {}


def _locked_out(context) -> bool:
    """Return whether django-axes refused this login; it flags the DRF request, which its middleware misses."""
    request = context.get("request")
    return bool(getattr(request, "axes_locked_out", False))


def exception_handler(exc, context):
    if _locked_out(context):
        message = _(
            "Too many wrong passwords. For your safety this account is locked for 30 minutes. "
            "If you need help now, contact your community office."
        )
        return Response({"error": {"code": "locked", "message": message, "fields": {}}}, status=429)
    if isinstance(exc, ApplicationError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        body = {"error": {"code": exc.code, "message": exc.message, "fields": fields}}
        return Response(body, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        if isinstance(exc.detail, list):
            fields = {"non_field_errors": [str(m) for m in exc.detail]}
        first = next(iter(fields.values()), [_("Invalid input.")])[0]
        message = first if len(fields) == 1 else _("Some fields are invalid.")
        response.data = {"error": {"code": "invalid", "message": message, "fields": fields}}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"error": {"code": str(code), "message": str(detail), "fields": {}}}
    return response
