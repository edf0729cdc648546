"""Curation actions in the audit log: each step done (:func:`record_step`) and each refused attempt.

The API and the portal both run workflow actions (submit, withdraw, comment, decide, ...) through
:func:`attempt`, so a refusal is recorded the same way whichever door it came through. The refused
transaction rolls back, so its audit record is written in a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from repository.audit.service import audit
from repository.db import Database
from repository.errors import RepositoryError
from repository.models import Material, User
from repository.uow import UnitOfWork

T = TypeVar("T")

# Refusals worth an audit record: not allowed, not there (or not visible), wrong state.
AUDITED = (403, 404, 409)


def record_step(
    session: Session,
    actor: User,
    action: str,
    material: Material,
    data: dict[str, Any],
    *,
    ip: str | None = None,
) -> None:
    """Audit a workflow step done on ``material`` (``material.submitted``, ``material.approved``...)."""
    audit.record(
        session, actor=actor, action=action, subject_type="material", subject_id=material.id, data=data, ip=ip
    )


def record_refusal(
    session: Session,
    actor: User | None,
    *,
    action: str,
    material_id: str,
    error: RepositoryError,
    ip: str | None = None,
) -> None:
    """Audit a refused workflow attempt (wrong state, outside scope, own submission...)."""
    audit.record(
        session,
        actor=actor,
        action="curation.refused",
        subject_type="material",
        subject_id=material_id[:100],
        data={"attempt": action, "status": error.status_code, "reason": error.message},
        ip=ip,
    )


def attempt(
    db: Database,
    user: User,
    *,
    action: str,
    material_id: str,
    ip: str | None,
    work: Callable[[Session, User], T],
) -> T:
    """Run ``work(session, actor)`` in a write transaction; audit a refusal in a separate one.

    Args:
        db: the database.
        user: who acts (merged into the transaction's session before ``work`` sees it).
        action: the audit name of the attempt (``submit``, ``review.approve``, ...).
        material_id: the material acted on.
        ip: the client's address, for the audit record.
        work: the action itself, given the session and the merged actor.

    Raises:
        RepositoryError: whatever ``work`` raised, after a 403/404/409 was audited.
    """
    try:
        with UnitOfWork(db, write=True) as uow:
            return work(uow.session, uow.session.merge(user))
    except RepositoryError as exc:
        if exc.status_code in AUDITED:
            with UnitOfWork(db, write=True) as uow:
                record_refusal(
                    uow.session,
                    uow.session.merge(user),
                    action=action,
                    material_id=material_id,
                    error=exc,
                    ip=ip,
                )
        raise
