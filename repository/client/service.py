"""API clients: registration by admins, secrets (shown once, stored hashed), OAuth 2.0 client
credentials (RFC 6749 §4.4) and the scopes their tokens carry.

    client, secret = api_clients.create(session, admin, ClientCreate(name=..., scopes=[...]))
    token, expires_in, scopes = api_clients.issue_token(session, client.id, secret, None, ttl=...)

A client acts through its own service account (a passwordless ``users`` row, role teacher), so
what it uploads has an owner and goes through review like anyone's. Scopes only ever narrow what
that account's role allows; ``required_scope`` says which scope a request needs.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from repository.audit.service import audit
from repository.client.schemas import SCOPES, ClientCreate, ClientUpdate
from repository.client.store import ClientStore
from repository.errors import NotFound, PermissionDenied, RepositoryError, ValidationFailed
from repository.models import ApiClient, ApiToken, Role, User, utcnow
from repository.policy.roles import has_role
from repository.user.store import TokenStore, UserStore


class OAuthError(RepositoryError):
    """An OAuth 2.0 token endpoint error (RFC 6749 §5.2): rendered as ``{"error": code, ...}``."""

    def __init__(self, error: str, description: str, *, status_code: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status_code = status_code
        self.code = error

    def to_rfc(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.message}


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValidationFailed(
            f"unknown scope {unknown[0]!r}",
            details=[
                {"field": "scopes", "message": f"unknown scope {s!r}", "allowed": list(SCOPES)}
                for s in unknown
            ],
        )
    return sorted(set(scopes))


def required_scope(method: str, path: str) -> str | None:
    """The scope an API client needs for ``method`` on ``path`` (the request's path).

    None means no scope allows it: account, token, review-queue and administration routes are
    for people. Reads need ``materials:read``, writes to materials and uploads
    ``materials:write``, OAI-PMH ``harvest``. A new route is covered by the same rules, so a write
    route can never be reached with a read-only token by forgetting to declare it.
    """
    if path == "/oai":
        return "harvest"
    if path.startswith("/api/v1/stats"):
        return "stats:read"
    if path.startswith(
        ("/api/v1/auth/", "/api/v1/admin/", "/api/v1/audit", "/api/v1/review/", "/api/v1/clients")
    ):
        return None if not (path == "/api/v1/auth/me" and method == "GET") else "materials:read"
    if method in ("GET", "HEAD", "OPTIONS"):
        return "materials:read"
    if path.startswith(("/api/v1/materials", "/api/v1/uploads")):
        return "materials:write"
    return None


def _require_admin(actor: User) -> None:
    if not has_role(actor, Role.admin):
        raise PermissionDenied("only admins can manage API clients")


class ApiClientService:
    # --- administration -----------------------------------------------------------------------

    def list(self, session: Session, actor: User) -> list[ApiClient]:
        _require_admin(actor)
        return ClientStore.from_session(session).list()

    def get(self, session: Session, actor: User, client_id: str) -> ApiClient:
        _require_admin(actor)
        found = ClientStore.from_session(session).with_user(client_id) if "\x00" not in client_id else None
        if found is None:
            raise NotFound(f"no API client with id {client_id!r}")
        return found

    def create(
        self, session: Session, actor: User, data: ClientCreate, *, ip: str | None = None
    ) -> tuple[ApiClient, str]:
        """Register a client; returns it and its secret (shown once)."""
        _require_admin(actor)
        scopes = check_scopes(data.scopes)
        client_id = str(uuid.uuid4())
        account = UserStore.from_session(session).add(
            User(
                username=f"client-{client_id[:8]}",
                role=Role.teacher.value,
                display_name=f"{data.name} ({data.organisation})" if data.organisation else data.name,
                password_hash=None,
            )
        )
        secret = "hls_" + secrets.token_urlsafe(32)
        client = ClientStore.from_session(session).add(
            ApiClient(
                id=client_id,
                name=data.name.strip(),
                organisation=data.organisation.strip(),
                scopes=scopes,
                secret_hash=_digest(secret),
                user_id=account.id,
                created_by_id=actor.id,
            )
        )
        audit.record(
            session,
            actor=actor,
            action="client.created",
            subject_type="client",
            subject_id=client.id,
            data={"name": client.name, "organisation": client.organisation, "scopes": scopes},
            ip=ip,
        )
        return client, secret

    def rotate_secret(
        self, session: Session, actor: User, client_id: str, *, ip: str | None = None
    ) -> tuple[ApiClient, str]:
        """A new secret (shown once). The old one stops working and the client's live tokens are
        revoked: a rotation is usually because the old secret leaked."""
        client = self.get(session, actor, client_id)
        secret = "hls_" + secrets.token_urlsafe(32)
        client.secret_hash = _digest(secret)
        client.secret_created_at = utcnow()
        revoked = ClientStore.from_session(session).revoke_tokens(client.id)
        audit.record(
            session,
            actor=actor,
            action="client.secret_rotated",
            subject_type="client",
            subject_id=client.id,
            data={"tokens_revoked": revoked},
            ip=ip,
        )
        return client, secret

    def update(
        self, session: Session, actor: User, client_id: str, data: ClientUpdate, *, ip: str | None = None
    ) -> ApiClient:
        """Rename, change scopes, disable or enable. Narrowing scopes or disabling revokes the
        client's live tokens (they would otherwise keep the old scopes until they expire)."""
        client = self.get(session, actor, client_id)
        changes: dict[str, Any] = {}
        if data.name is not None and data.name.strip() != client.name:
            changes["name"] = client.name = data.name.strip()
        if data.organisation is not None and data.organisation.strip() != client.organisation:
            changes["organisation"] = client.organisation = data.organisation.strip()
        revoke = False
        if data.scopes is not None:
            scopes = check_scopes(data.scopes)
            if scopes != sorted(client.scopes):
                revoke = not set(client.scopes) <= set(scopes)
                changes["scopes"] = client.scopes = scopes
        if data.disabled is not None and data.disabled != client.disabled:
            changes["disabled"] = client.disabled = data.disabled
            client.user.disabled = data.disabled
            revoke = revoke or data.disabled
        if revoke:
            changes["tokens_revoked"] = ClientStore.from_session(session).revoke_tokens(client.id)
        if changes:
            audit.record(
                session,
                actor=actor,
                action="client.updated",
                subject_type="client",
                subject_id=client.id,
                data=changes,
                ip=ip,
            )
        return client

    # --- OAuth 2.0 client credentials ---------------------------------------------------------

    def issue_token(
        self,
        session: Session,
        client_id: str,
        client_secret: str,
        requested: builtins.list[str] | None,
        *,
        ttl: timedelta,
        ip: str | None = None,
    ) -> tuple[str, ApiToken]:
        """Exchange a client's credentials for a bearer token limited to ``requested`` scopes
        (all the client's scopes when None).

        Raises:
            OAuthError: ``invalid_client`` (401) for unknown or disabled clients and wrong
                secrets, ``invalid_scope`` (400) for scopes the client does not hold.
        """
        usable = len(client_id) <= 64 and "\x00" not in client_id
        client = ClientStore.from_session(session).with_user(client_id) if usable else None
        given = _digest(client_secret)
        # Compare even when the client is unknown, so timing does not reveal which ids exist.
        expected = client.secret_hash if client is not None else _digest(secrets.token_hex(16))
        if not hmac.compare_digest(given, expected) or client is None:
            raise OAuthError("invalid_client", "unknown client or wrong secret", status_code=401)
        if client.disabled or client.user.disabled:
            raise OAuthError("invalid_client", "this client is disabled", status_code=401)
        scopes = sorted(client.scopes) if requested is None else sorted(set(requested))
        outside = [s for s in scopes if s not in client.scopes]
        if outside or not scopes:
            raise OAuthError(
                "invalid_scope",
                f"this client does not hold the scope {outside[0]!r}" if outside else "no scope requested",
            )
        token = "hlc_" + secrets.token_urlsafe(32)
        record = TokenStore.from_session(session).add(
            ApiToken(
                user_id=client.user_id,
                client_id=client.id,
                scopes=scopes,
                token_hash=_digest(token),
                name="client credentials",
                expires_at=utcnow() + ttl,
            )
        )
        audit.record(
            session,
            actor=client.user,
            action="client.token_issued",
            subject_type="client",
            subject_id=client.id,
            data={"scopes": scopes},
            ip=ip,
        )
        return token, record

    def token_owner(self, session: Session, token: str) -> tuple[str | None, str] | None:
        """``(client_id or None, user_id)`` of a live token; None for an unknown one (rate limits)."""
        return ClientStore.from_session(session).token_owner(_digest(token))


api_clients = ApiClientService()
