"""Accounts, passwords (Argon2id) and bearer tokens (stored as SHA-256 only)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from repository.errors import Conflict, NotAuthenticated, PermissionDenied
from repository.models import ApiToken, Role, User, utcnow
from repository.user.schemas import UserCreate
from repository.user.store import TokenStore, UserStore

# The system account owns demo and imported content when no person is named. It cannot sign in.
SYSTEM_USERNAME = "hoclieu"


class UserService:
    def __init__(self) -> None:
        self._hasher = PasswordHasher()

    def configure_hashing(self, *, fast: bool) -> None:
        """Cheaper Argon2 parameters for the test suite only (many users are created)."""
        self._hasher = (
            PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1) if fast else PasswordHasher()
        )

    @property
    def hasher(self) -> PasswordHasher:
        return self._hasher

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def create(self, session: Session, data: UserCreate) -> User:
        store = UserStore.from_session(session)
        if store.by_username(data.username) is not None:
            raise Conflict(f"a user named {data.username!r} already exists")
        user = User(
            username=data.username,
            role=data.role.value,
            display_name=data.display_name or data.username,
            password_hash=self.hash_password(data.password) if data.password else None,
            scope=data.scope,
        )
        return store.add(user)

    def get_by_username(self, session: Session, username: str) -> User | None:
        return UserStore.from_session(session).by_username(username)

    def system_user(self, session: Session) -> User:
        """The system account (admin role, no password), created on first use (safely when
        several processes do so at once)."""
        store = UserStore.from_session(session)
        user = store.by_username(SYSTEM_USERNAME)
        if user is None:
            # Two workers may meet here on a fresh deployment (each ingest's first title edit).
            user = store.add_or_existing(
                User(
                    username=SYSTEM_USERNAME,
                    role=Role.admin.value,
                    display_name="Hoclieu",
                    password_hash=None,
                )
            )
        return user

    def issue_token(
        self, session: Session, user: User, *, ttl: timedelta, name: str = ""
    ) -> tuple[str, ApiToken]:
        token = "hl_" + secrets.token_urlsafe(32)
        record = ApiToken(user_id=user.id, token_hash=_digest(token), name=name, expires_at=utcnow() + ttl)
        TokenStore.from_session(session).add(record)
        return token, record

    def token_id(self, session: Session, token: str) -> str | None:
        """The id of the token record behind ``token`` (None: unknown)."""
        record = TokenStore.from_session(session).by_hash(_digest(token))
        return record.id if record is not None else None

    def resolve_token(self, session: Session, token: str) -> User:
        """The person a token belongs to. API clients' tokens are refused: they are for the API
        only (``resolve_principal``), never a portal session."""
        found = self.resolve_principal(session, token)
        if found.client_id is not None:
            raise NotAuthenticated("this token belongs to an API client; it works with the API only")
        return found.user

    def resolve_principal(self, session: Session, token: str) -> Principal:
        """Who a bearer token speaks for: a person, or an API client limited to its scopes.

        Raises:
            NotAuthenticated: unknown, revoked or expired token.
            PermissionDenied: the account (or the client's service account) is disabled.
        """
        record = TokenStore.from_session(session).by_hash(_digest(token))
        now = utcnow()
        if record is None or record.revoked_at is not None:
            raise NotAuthenticated("the access token is not valid; sign in again")
        if record.expires_at is not None and record.expires_at <= now:
            raise NotAuthenticated("the access token has expired; sign in again")
        if record.user.disabled:
            raise PermissionDenied("this account is disabled")
        scopes = frozenset(record.scopes or ()) if record.client_id is not None else None
        return Principal(user=record.user, client_id=record.client_id, scopes=scopes)


@dataclass(frozen=True)
class Principal:
    """The caller behind a bearer token. ``scopes`` is None for a person (their role decides),
    the token's scopes for an API client."""

    user: User
    client_id: str | None = None
    scopes: frozenset[str] | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def expires(at: datetime | None) -> bool:
    return at is not None and at <= utcnow()


user = UserService()
