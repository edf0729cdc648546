from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from repository.models import ApiToken, SignInThrottle, User, utcnow
from repository.store import StoreBase
from repository.user.names import normalise_username, storable


class UserStore(StoreBase[User]):
    model = User

    def by_username(self, username: str) -> User | None:
        """The user named ``username`` after ``normalise_username`` (the lockout uses the same key)."""
        normalised = normalise_username(username)
        if not storable(normalised):
            return None  # no stored name contains NUL or a lone surrogate; PostgreSQL would refuse it
        return self.session.scalar(select(User).where(func.lower(User.username) == normalised))

    def add_or_existing(self, user: User) -> User:
        """Add ``user`` unless an account with its name exists (another transaction may be adding
        the same one right now: its insert wins and this returns it), in a savepoint, so the
        caller's transaction goes on either way."""
        try:
            with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError:
            existing = self.by_username(user.username)
            if existing is None:
                raise
            return existing
        return user

    def list(self, query: str | None = None) -> list[User]:
        stmt = select(User).order_by(User.username)
        if query:
            # The words as typed, special LIKE characters taken literally.
            pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(User.username.ilike(pattern, escape="\\"), User.display_name.ilike(pattern, escape="\\"))
            )
        return list(self.session.scalars(stmt))


class TokenStore(StoreBase[ApiToken]):
    model = ApiToken

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return self.session.scalar(
            select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == token_hash)
        )

    def revoke_all(self, user_id: str, *, keep: str | None = None) -> int:
        """Revoke every live token of a user except ``keep``; returns how many."""
        stmt = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        if keep is not None:
            stmt = stmt.where(ApiToken.id != keep)
        result = self.session.execute(
            stmt.values(revoked_at=utcnow()).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SignInThrottleStore(StoreBase[SignInThrottle]):
    """Atomic failure counters (one row per key). Every change is one statement, no read-modify-write."""

    model = SignInThrottle

    def reserve(self, key: str, *, limit: int, since: datetime, now: datetime) -> bool:
        """Take one attempt slot for ``key``; False when ``limit`` failures since ``since`` are used up.

        The ``UPDATE ... WHERE failures < limit RETURNING`` is the whole check: PostgreSQL re-checks
        the condition on the locked row and SQLite runs writers one at a time, so N concurrent
        attempts can never take more than ``limit`` slots. A counter whose last failure is older
        than ``since`` starts again at 1.
        """
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        self.session.execute(
            insert(SignInThrottle)
            .values(key=key, failures=0, last_failure_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        stale = SignInThrottle.last_failure_at < since
        taken = self.session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key == key, or_(SignInThrottle.failures < limit, stale))
            .values(failures=case((stale, 1), else_=SignInThrottle.failures + 1), last_failure_at=now)
            .returning(SignInThrottle.failures)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        return taken is not None

    def release(self, key: str) -> None:
        """Give back one slot (the attempt succeeded, so it was not a failure)."""
        self.session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key == key, SignInThrottle.failures > 0)
            .values(failures=SignInThrottle.failures - 1)
            .execution_options(synchronize_session=False)
        )

    def clear(self, key: str) -> None:
        self.session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key == key)
            .values(failures=0)
            .execution_options(synchronize_session=False)
        )

    def forget_before(self, since: datetime) -> int:
        """Delete counters whose last failure is older than ``since`` (they would restart at 1)."""
        result = self.session.execute(
            delete(SignInThrottle)
            .where(SignInThrottle.last_failure_at < since)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def failures(self, key: str) -> int:
        return int(self.session.scalar(select(SignInThrottle.failures).where(SignInThrottle.key == key)) or 0)
