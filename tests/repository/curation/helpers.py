"""Helpers shared by the curation tests (typed, commit nothing themselves)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from repository.models import IngestStatus, Material, MaterialFile, Role, User
from repository.user.schemas import UserCreate
from repository.user.service import user as user_service
from tests.factories import PASSWORD

MATH_5 = {"subjects": ["toan"], "grades": [5]}


def person(session: Session, username: str, role: Role, scope: dict[str, Any] | None = None) -> User:
    return user_service.create(
        session, UserCreate(username=username, role=role, password=PASSWORD, scope=scope or {})
    )


def finish_ingest(session: Session, material: Material, status: IngestStatus = IngestStatus.ready) -> None:
    """Stand in for the ingest worker's final write (the workflow only reads the status)."""
    session.execute(
        update(MaterialFile).where(MaterialFile.material_id == material.id).values(status=status.value)
    )
    session.flush()
    session.expire_all()


RUBRIC_OK = {
    "curriculum_alignment": True,
    "license_clear": True,
    "content_accurate": True,
    "quality_accessibility": True,
}


def submit_and_approve(
    session: Session, settings: Any, teacher: User, curator: User, material: Material
) -> None:
    """The teacher submits ``material`` and the curator approves it with a complete rubric (signed)."""
    from repository.curation.decisions import reviews
    from repository.curation.schemas import Decision
    from repository.curation.workflow import workflow
    from repository.signing import signer_for

    workflow.submit(session, teacher, material.id)
    reviews.decide(
        session,
        curator,
        material.id,
        decision=Decision.approve,
        comment=None,
        rubric=RUBRIC_OK,
        signer=signer_for(settings),
    )
