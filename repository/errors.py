"""Errors raised by the domain layer.

Every expected failure is a ``RepositoryError`` with an HTTP-like status code, so the web layer
can translate it without knowing the domain (one handler, a stable JSON shape)::

    RepositoryError (500)
    ├── BadRequest (400)
    │   └── InvalidQuery (400)
    ├── NotAuthenticated (401)
    ├── PermissionDenied (403)
    ├── NotFound (404)
    ├── Conflict (409)
    ├── PayloadTooLarge (413)
    ├── QuotaExceeded (507)
    ├── UnsupportedMediaType (415)
    ├── ValidationFailed (422)
    │   └── MetadataInvalid (422)
    └── TooManyAttempts (429)

Services never raise ``HTTPException``; they raise these.
"""

from __future__ import annotations

from typing import Any


class RepositoryError(Exception):
    """Base class. ``message`` is shown to people, so write it for them."""

    status_code: int = 500
    code: str = "error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(RepositoryError):
    status_code = 400
    code = "bad_request"


class InvalidQuery(BadRequest):
    code = "invalid_query"


class NotAuthenticated(RepositoryError):
    status_code = 401
    code = "not_authenticated"


class PermissionDenied(RepositoryError):
    status_code = 403
    code = "permission_denied"


class NotFound(RepositoryError):
    status_code = 404
    code = "not_found"


class Conflict(RepositoryError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(RepositoryError):
    status_code = 413
    code = "payload_too_large"


class QuotaExceeded(RepositoryError):
    """An upload would take an account past its storage quota (``user_quota_bytes``)."""

    status_code = 507
    code = "quota_exceeded"


class UnsupportedMediaType(RepositoryError):
    status_code = 415
    code = "unsupported_media_type"


class ValidationFailed(RepositoryError):
    """Input that is well-formed but not acceptable (empty file, bad field)."""

    status_code = 422
    code = "validation_failed"


class MetadataInvalid(ValidationFailed):
    """Metadata does not match its JSON Schema or names an unknown vocabulary code.

    ``details`` holds one entry per problem: ``{"field": "subjects[0]", "message": "...",
    "allowed": [...]}`` (``allowed`` only where a closed list applies).
    """

    code = "metadata_invalid"


class TooManyAttempts(RepositoryError):
    """Repeated failed sign-ins: the username is locked for a while."""

    status_code = 429
    code = "too_many_attempts"
