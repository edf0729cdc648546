"""Pydantic shapes for the curation API (requests and responses)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from repository.models import MaterialVersion, ReviewComment, User


class Decision(enum.StrEnum):
    approve = "approve"
    request_changes = "request_changes"
    reject = "reject"


@dataclass(frozen=True)
class RubricItem:
    key: str
    label: str
    required: bool


# The review rubric. A required item ticked false (or left unticked) blocks approval.
# Quality & accessibility is recorded but advisory: many legacy scans (no text layer, no captions)
# are still the best material available for a lesson, and the ministry publishes them with a note.
RUBRIC: tuple[RubricItem, ...] = (
    RubricItem("curriculum_alignment", "Curriculum alignment correct (subject, grade, lesson)", True),
    RubricItem("license_clear", "Licence clear", True),
    RubricItem("content_accurate", "Content accurate", True),
    RubricItem("quality_accessibility", "Quality and accessibility acceptable", False),
)


class SubmitRequest(BaseModel):
    accept_failed: bool = Field(False, description="Submit although some files failed ingest.")
    reason: str | None = Field(None, max_length=2000, description="Why failed files are acceptable.")


class WithdrawRequest(BaseModel):
    reason: str | None = Field(None, max_length=2000)


class TakedownRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why it leaves public view (audited).")


class EditRequest(BaseModel):
    metadata: dict[str, Any] = Field(description="Fields to change; null removes a field.")
    replace: bool = Field(False, description="Replace the whole document instead of merging.")


class ReviewRequest(BaseModel):
    decision: Decision
    comment: str | None = Field(None, max_length=10_000)
    rubric: dict[str, bool | None] = Field(default_factory=dict)


class BulkReviewRequest(ReviewRequest):
    material_ids: list[str] = Field(min_length=1, max_length=200)


class CommentRequest(BaseModel):
    body: str = Field(min_length=1, max_length=10_000)


class ScopeModel(BaseModel):
    subjects: list[str] = Field(default_factory=list, max_length=50)
    grades: list[int] = Field(default_factory=list, max_length=12)
    organisations: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Slugs of the organisations whose materials the curator reviews (empty: any).",
    )


class UserAdminCreate(BaseModel):
    username: str = Field(min_length=2, max_length=150, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: str
    password: str | None = Field(None, min_length=8, max_length=1000)
    display_name: str = Field("", max_length=300)
    scope: ScopeModel = Field(default_factory=ScopeModel)


class UserAdminUpdate(BaseModel):
    role: str | None = None
    scope: ScopeModel | None = None
    disabled: bool | None = None
    display_name: str | None = Field(None, max_length=300)


class UserAdminRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    username: str
    display_name: str
    role: str
    disabled: bool
    scope: dict[str, Any]
    created_at: datetime


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    ttl_days: int = Field(90, ge=1, le=3650)


class TokenInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenInfo):
    access_token: str
    token_type: str = "bearer"


def _who(user: User | None) -> str | None:
    return user.username if user is not None else None


class VersionRead(BaseModel):
    number: int
    state: str
    title: str
    metadata: dict[str, Any] | None
    file_ids: list[str]
    live: bool
    created_by: str | None
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    accept_failed_reason: str | None
    claimed_by: str | None
    claimed_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    rubric: dict[str, Any]
    signed: bool

    @classmethod
    def build(cls, v: MaterialVersion, *, live: bool, with_metadata: bool = True) -> VersionRead:
        return cls(
            number=v.number,
            state=v.state,
            title=v.title,
            metadata=v.meta if with_metadata else None,
            file_ids=list(v.file_ids or []),
            live=live,
            created_by=_who(v.created_by),
            created_at=v.created_at,
            submitted_by=_who(v.submitted_by),
            submitted_at=v.submitted_at,
            accept_failed_reason=v.accept_failed_reason,
            claimed_by=_who(v.claimed_by),
            claimed_at=v.claimed_at,
            decided_by=_who(v.decided_by),
            decided_at=v.decided_at,
            decision_comment=v.decision_comment,
            rubric=dict(v.rubric or {}),
            signed=v.signature is not None,
        )


class CommentRead(BaseModel):
    id: str
    author: str
    kind: str
    body: str
    created_at: datetime

    @classmethod
    def build(cls, c: ReviewComment) -> CommentRead:
        return cls(id=c.id, author=c.author.username, kind=c.kind, body=c.body, created_at=c.created_at)


class QueueItem(BaseModel):
    material_id: str
    version: int
    title: str
    owner: str
    subjects: list[str]
    grades: list[int]
    submitted_by: str | None
    submitted_at: datetime | None
    claimed_by: str | None
    files_failed: int
    accept_failed_reason: str | None
    integrity_problems: list[str]


class QueuePage(BaseModel):
    total: int
    page: int
    size: int
    items: list[QueueItem]


class BulkResult(BaseModel):
    material_id: str
    ok: bool
    state: str | None = None
    status: int = 200
    error: str | None = None


class SignatureRead(BaseModel):
    material_id: str
    version: int
    algorithm: str
    key_id: str
    manifest: dict[str, Any]
    signature: str


class IntegrityIssueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    material_id: str | None
    storage_key: str
    problem: str
    detail: str
    detected_at: datetime


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    ip: str | None
    hash: str


class AuditPage(BaseModel):
    total: int
    page: int
    size: int
    chain_intact: bool | None = None
    items: list[AuditRead]


class VerifyReport(BaseModel):
    """The outcome of checking one approved version against its signed manifest."""

    material_id: str
    version: int | None
    ok: bool
    problems: list[str]
    checked_files: int = 0
