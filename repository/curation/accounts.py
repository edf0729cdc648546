"""Account administration: create users with roles and scope, change them, disable them;
personal tokens (list, create, revoke). Sign-in and its lockout: ``repository.user.signin``.

Everything here is a service call (session first, no commit), so the API, the CLI and the portal
(cookie sessions, next issue) share it. Role changes, disabling and revocations are audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.audit.service import audit
from repository.curation.schemas import ScopeModel, UserAdminCreate, UserAdminUpdate
from repository.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from repository.models import ApiToken, Role, User, utcnow
from repository.policy.roles import has_role
from repository.user.schemas import UserCreate
from repository.user.service import _digest
from repository.user.service import user as user_service
from repository.user.store import TokenStore, UserStore
from repository.vocabularies import get_vocabulary


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(
            f"unknown role {value!r}",
            details=[{"field": "role", "message": "unknown role", "allowed": [r.value for r in Role]}],
        ) from None


def normalise_scope(
    scope: ScopeModel | dict[str, Any], session: Session | None = None
) -> dict[str, list[Any]]:
    """Check a curator scope against the vocabularies and the organisations (by slug, stored by
    id; needs ``session``); returns ``{"subjects": [...], "grades": [...]}`` plus
    ``"organisations"`` when some are named."""
    model = scope if isinstance(scope, ScopeModel) else ScopeModel.model_validate(scope)
    subjects = get_vocabulary("subject")
    details: list[dict[str, Any]] = [
        {"field": f"scope.subjects[{i}]", "message": f"unknown subject {code!r}", "allowed": subjects.codes()}
        for i, code in enumerate(model.subjects)
        if code not in subjects
    ]
    details += [
        {"field": f"scope.grades[{i}]", "message": f"grade {g} is not between 1 and 12"}
        for i, g in enumerate(model.grades)
        if not 1 <= g <= 12
    ]
    org_ids: list[str] = []
    if model.organisations:
        from repository.organisation.store import OrganisationStore

        found = (
            {o.slug: o.id for o in OrganisationStore.from_session(session).by_slugs(model.organisations)}
            if session
            else {}
        )
        details += [
            {"field": f"scope.organisations[{i}]", "message": f"unknown organisation {slug!r}"}
            for i, slug in enumerate(model.organisations)
            if slug not in found
        ]
        org_ids = sorted({found[slug] for slug in model.organisations if slug in found})
    if details:
        raise ValidationFailed("; ".join(str(d["message"]) for d in details), details=details)
    out: dict[str, list[Any]] = {"subjects": sorted(set(model.subjects)), "grades": sorted(set(model.grades))}
    if org_ids:
        out["organisations"] = org_ids
    return out


def _require_admin(actor: User) -> None:
    if not has_role(actor, Role.admin):
        raise PermissionDenied("only admins manage accounts")


class AccountService:
    # --- users -------------------------------------------------------------------------------

    def create_user(
        self, session: Session, actor: User | None, data: UserAdminCreate, *, ip: str | None = None
    ) -> User:
        """Create an account (``actor`` None: the command line, run by the operator)."""
        if actor is not None:
            _require_admin(actor)
        role = _role(data.role)
        scope = normalise_scope(data.scope, session)
        created = user_service.create(
            session,
            UserCreate(
                username=data.username,
                role=role,
                password=data.password,
                display_name=data.display_name,
                scope=scope,
            ),
        )
        audit.record(
            session,
            actor=actor,
            action="user.created",
            subject_type="user",
            subject_id=created.id,
            data={"username": created.username, "role": created.role, "scope": scope},
            ip=ip,
        )
        return created

    def list_users(self, session: Session, actor: User, *, query: str | None = None) -> list[User]:
        """Every account (admins only), or those whose username or display name contains ``query``."""
        _require_admin(actor)
        return UserStore.from_session(session).list((query or "").strip() or None)

    def get_user(self, session: Session, user_id: str) -> User:
        found = UserStore.from_session(session).get(user_id)
        if found is None:
            found = UserStore.from_session(session).by_username(user_id)
        if found is None:
            raise NotFound(f"no user {user_id!r}")
        return found

    def update_user(
        self,
        session: Session,
        actor: User | None,
        user_id: str,
        data: UserAdminUpdate,
        *,
        ip: str | None = None,
    ) -> User:
        """Change role, scope, display name or disabled; disabling revokes every token.

        Raises:
            PermissionDenied: not an admin.
            Conflict: an admin demoting or disabling themselves (the last door would close).
        """
        if actor is not None:
            _require_admin(actor)
        target = self.get_user(session, user_id)
        changes: dict[str, Any] = {}
        if data.role is not None and data.role != target.role:
            role = _role(data.role)
            if actor is not None and target.id == actor.id:
                raise Conflict("you cannot change your own role; ask another admin")
            changes["role"] = [target.role, role.value]
            target.role = role.value
        if data.scope is not None:
            scope = normalise_scope(data.scope, session)
            # What the account reviews as an organisation's curator follows its memberships
            # (repository.organisation), not this form.
            if (target.scope or {}).get("curates_for"):
                scope["curates_for"] = target.scope["curates_for"]
            if scope != target.scope:
                changes["scope"] = [target.scope, scope]
                target.scope = scope
        if data.display_name is not None and data.display_name != target.display_name:
            changes["display_name"] = [target.display_name, data.display_name]
            target.display_name = data.display_name
        if data.disabled is not None and data.disabled != target.disabled:
            if actor is not None and target.id == actor.id:
                raise Conflict("you cannot disable your own account")
            changes["disabled"] = [target.disabled, data.disabled]
            target.disabled = data.disabled
            if data.disabled:
                self._revoke_all(session, target)
        session.flush()
        if changes:
            action = (
                "user.role_changed"
                if "role" in changes
                else ("user.disabled" if changes.get("disabled", [None, False])[1] else "user.updated")
            )
            audit.record(
                session,
                actor=actor,
                action=action,
                subject_type="user",
                subject_id=target.id,
                data={"username": target.username, "changes": changes},
                ip=ip,
            )
        return target

    def _revoke_all(self, session: Session, target: User) -> None:
        TokenStore.from_session(session).revoke_all(target.id)

    # --- personal tokens -----------------------------------------------------------------------

    def list_tokens(self, session: Session, actor: User) -> list[ApiToken]:
        return list(
            session.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == actor.id)
                .order_by(ApiToken.created_at.desc(), ApiToken.id)
            )
        )

    def create_token(
        self, session: Session, actor: User, *, name: str, ttl: timedelta, ip: str | None = None
    ) -> tuple[str, ApiToken]:
        plain, record = user_service.issue_token(session, actor, ttl=ttl, name=name)
        audit.record(
            session,
            actor=actor,
            action="auth.token_created",
            subject_type="token",
            subject_id=record.id,
            data={"name": name},
            ip=ip,
        )
        return plain, record

    def revoke_token(
        self, session: Session, actor: User, token_id: str, *, ip: str | None = None
    ) -> ApiToken:
        """Revoke one of your tokens (admins: anyone's). Revoking twice is harmless."""
        record = session.get(ApiToken, token_id)
        if record is None or (record.user_id != actor.id and not has_role(actor, Role.admin)):
            raise NotFound(f"no token {token_id!r}")
        if record.revoked_at is None:
            record.revoked_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action="auth.token_revoked",
                subject_type="token",
                subject_id=record.id,
                data={"owner_id": record.user_id, "name": record.name},
                ip=ip,
            )
        return record

    def is_revoked(self, session: Session, token: str) -> bool:
        """Whether ``token`` is a real token that has been revoked."""
        revoked_at = session.scalar(select(ApiToken.revoked_at).where(ApiToken.token_hash == _digest(token)))
        return revoked_at is not None

    def record_refused_token(self, session: Session, token: str, *, ip: str | None = None) -> bool:
        """Audit the use of a revoked token (someone holds a token that was taken away).

        Unknown tokens are not recorded: anyone can send garbage, and it would flood the log.
        Returns True when an event was written.
        """
        record = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
        if record is None or record.revoked_at is None:
            return False
        owner = session.get(User, record.user_id)
        audit.record(
            session,
            actor=owner,
            action="auth.revoked_token_used",
            subject_type="token",
            subject_id=record.id,
            data={"name": record.name},
            ip=ip,
        )
        return True


accounts = AccountService()
