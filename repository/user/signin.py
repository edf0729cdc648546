"""Sign-in and password change: the one rule behind ``POST /api/v1/auth/token`` and the portal's
``POST /signin`` (and their password-change twins). The routes only translate HTTP.

The rule:

* Lockout is keyed on the **normalised** username (``repository.user.names``, the same function
  the account lookup uses, so ``ADMIN`` and ``admin`` share one counter) and, separately, on the
  client address (a higher limit: a school shares one public address).
* Each attempt **reserves** a slot in both counters in its own committed transaction *before*
  the password is checked (``SignInThrottleStore.reserve`` is one atomic statement). So 50
  concurrent guesses against a limit of 5 get 5 answers "wrong password" and 45 "locked", never
  more checks than the limit. A success gives its slots back (and clears the username's count).
* An unknown user, a wrong password, a disabled account and a system account without password
  are the same failure: same status, same message, same Argon2 work, and each counts.

``sign_in`` and ``change_password`` are therefore their own transaction boundary (like a job):
they open short units of work, because the reservation must be committed before the slow
password check, and a failure must stay counted although the caller gets an error.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2.exceptions import InvalidHashError, VerificationError

from repository.audit.service import audit
from repository.config import Settings
from repository.db import Database
from repository.errors import NotAuthenticated, TooManyAttempts, ValidationFailed
from repository.models import ApiToken, User, utcnow
from repository.uow import UnitOfWork
from repository.user.names import normalise_username, storable
from repository.user.service import user as user_service
from repository.user.store import SignInThrottleStore, TokenStore, UserStore

SIGN_IN_FAILED = "auth.sign_in_failed"
WRONG_CREDENTIALS = "incorrect username or password"
MIN_PASSWORD_LENGTH = 8
FORGET_EVERY = 100


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    record: ApiToken


def username_key(username: str) -> str:
    """The lockout key of a username: a digest, so any input fits the column."""
    digest = hashlib.sha256(normalise_username(username).encode("utf-8", "surrogatepass")).hexdigest()
    return f"user:{digest}"


def address_key(ip: str) -> str:
    return f"addr:{ip[:100]}"


class SignInService:
    def sign_in(
        self,
        db: Database,
        settings: Settings,
        *,
        username: str,
        password: str,
        ip: str | None,
        token_name: str,
        ttl: timedelta,
        audit_action: str,
    ) -> SignedIn:
        """Check a username and password and issue a token.

        Args:
            db: the database (this method opens its own short transactions, see the module).
            settings: ``signin_max_failures``, ``signin_max_failures_per_address``,
                ``signin_lockout_minutes``.
            username, password: as typed.
            ip: the client address (None: not counted per address).
            token_name, ttl: the token to issue (a portal session or an API token).
            audit_action: the audit event of a success.

        Raises:
            TooManyAttempts: 429, the username or the address used up its failures.
            NotAuthenticated: 401, wrong username or password, or a disabled account (the same).
        """
        self._reserve(db, settings, username, ip)
        with db.read() as session:
            found = UserStore.from_session(session).by_username(username)
            if found is not None:
                session.expunge(found)
        ok = self._verify(found, password)
        with UnitOfWork(db) as uow:
            throttle = SignInThrottleStore.from_session(uow.session)
            if not ok or found is None:
                audit.record(
                    uow.session,
                    actor=None,
                    action=SIGN_IN_FAILED,
                    subject_type="user",
                    subject_id=_shown(username),
                    ip=_clean_ip(ip),
                )
                signed = None
            else:
                throttle.clear(username_key(username))
                if ip:
                    throttle.release(address_key(ip))
                user = uow.session.merge(found)
                self._rehash_if_needed(user, password)
                plain, record = user_service.issue_token(uow.session, user, ttl=ttl, name=token_name)
                uow.session.flush()
                audit.record(
                    uow.session,
                    actor=user,
                    action=audit_action,
                    subject_type="user",
                    subject_id=user.id,
                    ip=_clean_ip(ip),
                )
                signed = SignedIn(user=user, token=plain, record=record)
        if signed is None:
            raise NotAuthenticated(WRONG_CREDENTIALS)
        return signed

    def change_password(
        self,
        db: Database,
        settings: Settings,
        actor: User,
        *,
        current_password: str,
        new_password: str,
        keep_token_id: str | None,
        ip: str | None,
    ) -> int:
        """Set a new password after checking the current one; revoke every other token and session.

        The current-password check is throttled like a sign-in (a stolen session cannot be used
        to guess the password). ``keep_token_id`` is the token or portal session making the
        request: it stays valid, every other one is revoked at once.

        Returns:
            How many tokens were revoked.

        Raises:
            TooManyAttempts: 429, too many wrong current passwords.
            NotAuthenticated: 401, the current password is wrong.
            ValidationFailed: 422, the new password is too short or equals the old one.
        """
        if len(new_password) < MIN_PASSWORD_LENGTH:
            raise ValidationFailed(
                f"the new password must have at least {MIN_PASSWORD_LENGTH} characters",
                details=[{"field": "new_password", "message": "too short"}],
            )
        if not storable(new_password):
            raise ValidationFailed(
                "the new password contains a character that cannot be stored (NUL or a lone surrogate)",
                details=[{"field": "new_password", "message": "unstorable character"}],
            )
        if new_password == current_password:
            raise ValidationFailed(
                "the new password must differ from the current one",
                details=[{"field": "new_password", "message": "same as the current password"}],
            )
        self._reserve(db, settings, actor.username, ip)
        with db.read() as session:
            found = UserStore.from_session(session).get(actor.id)
            if found is not None:
                session.expunge(found)
        ok = self._verify(found, current_password)
        revoked: int | None = None
        with UnitOfWork(db) as uow:
            if not ok or found is None:
                audit.record(
                    uow.session,
                    actor=found,
                    action="auth.password_change_refused",
                    subject_type="user",
                    subject_id=actor.id,
                    ip=_clean_ip(ip),
                )
            else:
                SignInThrottleStore.from_session(uow.session).clear(username_key(actor.username))
                if ip:
                    SignInThrottleStore.from_session(uow.session).release(address_key(ip))
                user = uow.session.merge(found)
                user.password_hash = user_service.hash_password(new_password)
                revoked = TokenStore.from_session(uow.session).revoke_all(user.id, keep=keep_token_id)
                audit.record(
                    uow.session,
                    actor=user,
                    action="auth.password_changed",
                    subject_type="user",
                    subject_id=user.id,
                    data={"revoked_tokens": revoked},
                    ip=_clean_ip(ip),
                )
        if revoked is None:  # refused, and the refusal is committed (it counts)
            raise NotAuthenticated("the current password is not correct")
        return revoked

    # --- the rule's parts ----------------------------------------------------------------------

    def _reserve(self, db: Database, settings: Settings, username: str, ip: str | None) -> None:
        now = utcnow()
        since = now - timedelta(minutes=settings.signin_lockout_minutes)
        with UnitOfWork(db) as uow:
            throttle = SignInThrottleStore.from_session(uow.session)
            locked = not throttle.reserve(
                username_key(username), limit=settings.signin_max_failures, since=since, now=now
            ) or (
                ip is not None
                and not throttle.reserve(
                    address_key(ip), limit=settings.signin_max_failures_per_address, since=since, now=now
                )
            )
            if secrets.randbelow(FORGET_EVERY) == 0:
                # Counters idle for a whole window are worth nothing; a spray of random usernames
                # must not grow the table for ever. Amortised: about one attempt in FORGET_EVERY.
                throttle.forget_before(since)
            if locked:
                # Raising rolls back this transaction, so a refused attempt takes no slot.
                raise TooManyAttempts(
                    "too many failed sign-ins for this account or from this address; "
                    f"try again in {settings.signin_lockout_minutes} minutes"
                )

    def _verify(self, found: User | None, password: str) -> bool:
        """Argon2 check; the same work whether or not the account exists, can sign in or is disabled."""
        hasher = user_service.hasher
        # Bytes, so a lone surrogate typed into a form is a wrong password, not an encoding error.
        secret = password.encode("utf-8", "surrogatepass")
        if found is None or found.password_hash is None:
            hasher.hash(secret)  # spend the same time as a real check
            return False
        try:
            hasher.verify(found.password_hash, secret)
        except (VerificationError, InvalidHashError):
            return False
        # Checked after the hash, so a disabled account costs and answers like a wrong password.
        return not found.disabled

    def _rehash_if_needed(self, user: User, password: str) -> None:
        if user.password_hash and user_service.hasher.check_needs_rehash(user.password_hash):
            user.password_hash = user_service.hash_password(password)


def _shown(username: str) -> str:
    """The username as the audit log keeps it: normalised, storable, at most 100 characters."""
    name = normalise_username(username).replace("\x00", "")
    return name.encode("utf-8", "replace").decode("utf-8")[:100]


def _clean_ip(ip: str | None) -> str | None:
    return ip[:100] if ip else None


signin = SignInService()
