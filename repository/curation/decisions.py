"""Review decisions and the review thread: the queue, claim, comment, decide (single and bulk),
and publishing directly without review.

A curator decides a ``submitted`` version when it lies in their scope and is not their own
submission (admins decide everything but their own); an approval is signed
(:mod:`repository.curation.signing`) and makes the version live
(:func:`repository.curation.versions.follow`). The transitions around a decision are in
:mod:`repository.curation.workflow`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from repository.curation.attempts import record_refusal, record_step
from repository.curation.schemas import RUBRIC, Decision, QueueItem
from repository.curation.signing import sign
from repository.curation.store import CurationStore
from repository.curation.versions import follow, material_for_update, versions_of
from repository.errors import Conflict, PermissionDenied, RepositoryError, ValidationFailed
from repository.material.store import MaterialStore
from repository.models import (
    IngestStatus,
    Material,
    MaterialVersion,
    ReviewComment,
    Role,
    User,
    WorkflowState,
    utcnow,
)
from repository.policy.roles import has_role
from repository.policy.scope import in_scope
from repository.policy.visibility import is_owner, privileged
from repository.signing import Signer

DECISION_STATE = {
    Decision.approve: WorkflowState.approved,
    Decision.request_changes: WorkflowState.changes_requested,
    Decision.reject: WorkflowState.rejected,
}


def _check_rubric(decision: Decision, rubric: Mapping[str, bool | None]) -> dict[str, bool | None]:
    known = {item.key: item for item in RUBRIC}
    unknown = sorted(set(rubric) - set(known))
    if unknown:
        raise ValidationFailed(
            f"unknown rubric item(s): {', '.join(unknown)}",
            details=[
                {"field": f"rubric.{k}", "message": "unknown item", "allowed": list(known)} for k in unknown
            ],
        )
    if decision is Decision.approve:
        failed = [item for item in RUBRIC if item.required and rubric.get(item.key) is False]
        if failed:
            raise Conflict(
                f"approval is blocked by failed rubric item(s): {'; '.join(i.label for i in failed)}",
                details=[{"field": f"rubric.{i.key}", "message": "failed"} for i in failed],
            )
        unticked = [item for item in RUBRIC if item.required and rubric.get(item.key) is not True]
        if unticked:
            raise ValidationFailed(
                "tick every required rubric item before approving: " + "; ".join(i.label for i in unticked),
                details=[{"field": f"rubric.{i.key}", "message": "required"} for i in unticked],
            )
    return {item.key: rubric.get(item.key) for item in RUBRIC}


def _apply_decision(
    session: Session,
    actor: User,
    material: Material,
    version: MaterialVersion,
    decision: Decision,
    comment: str | None,
    rubric: dict[str, Any],
    signer: Signer,
    *,
    audited: dict[str, Any],
    ip: str | None,
) -> None:
    """Record the decision on the version (signing an approval), let the public row follow and
    audit it: ``{"version": number, **audited, "comment": ..., "signature_key": ...}``."""
    now = utcnow()
    version.state = DECISION_STATE[decision].value
    version.decided_by_id = actor.id
    version.decided_at = now
    version.decision_comment = comment
    version.rubric = rubric
    session.add(
        ReviewComment(
            material_id=material.id,
            version_id=version.id,
            author_id=actor.id,
            kind=decision.value,
            body=comment or "",
        )
    )
    if decision is Decision.approve:
        sign(version, material, actor, signer, now.isoformat())
    follow(session, material, version)
    data = {"version": version.number, **audited, "comment": comment, "signature_key": version.key_id}
    record_step(session, actor, f"material.{DECISION_STATE[decision].value}", material, data, ip=ip)


class ReviewService:
    def _reviewable(
        self, session: Session, actor: User, material_id: str
    ) -> tuple[Material, MaterialVersion]:
        """The material and its version under review, after the checks every curator action shares."""
        if not has_role(actor, Role.curator):
            raise PermissionDenied("only curators and admins review materials")
        material = material_for_update(session, actor, material_id)
        version = versions_of(session, material)[-1]
        if not has_role(actor, Role.admin) and not in_scope(actor, version.meta, material.organisation_id):
            raise PermissionDenied(
                "this material is outside your curator scope (subjects, grades, organisations)"
            )
        if is_owner(actor, material) or version.submitted_by_id == actor.id:
            raise PermissionDenied("nobody reviews their own submission")
        if version.state != WorkflowState.submitted:
            raise Conflict(
                f"version {version.number} is {version.state}, not submitted: there is nothing to review"
            )
        return material, version

    def claim(
        self, session: Session, actor: User, material_id: str, *, ip: str | None = None
    ) -> MaterialVersion:
        """Take a submitted version for review, so two curators do not review the same thing."""
        material, version = self._reviewable(session, actor, material_id)
        if version.claimed_by_id not in (None, actor.id) and not has_role(actor, Role.admin):
            raise Conflict("another curator has already claimed this submission")
        version.claimed_by_id = actor.id
        version.claimed_at = utcnow()
        session.add(
            ReviewComment(material_id=material.id, version_id=version.id, author_id=actor.id, kind="claim")
        )
        record_step(session, actor, "material.claimed", material, {"version": version.number}, ip=ip)
        return version

    def comment(self, session: Session, actor: User, material_id: str, *, body: str) -> ReviewComment:
        """Add to the review thread (owner, curator in scope, admin)."""
        material = material_for_update(session, actor, material_id)
        version = versions_of(session, material)[-1]
        if not privileged(actor, material, version):
            raise PermissionDenied("only the owner, curators in scope and admins take part in a review")
        text = body.strip()
        if not text:
            raise ValidationFailed("a comment needs some text")
        c = ReviewComment(
            material_id=material.id, version_id=version.id, author_id=actor.id, kind="comment", body=text
        )
        session.add(c)
        session.flush()
        return c

    def comments(self, session: Session, actor: User, material_id: str) -> list[ReviewComment]:
        """The review thread, oldest first (owner, curators in scope, admins)."""
        material = material_for_update(session, actor, material_id)
        versions = MaterialStore.from_session(session).versions(material.id)
        if not privileged(actor, material, versions[-1] if versions else None):
            raise PermissionDenied("only the owner, curators in scope and admins read a review thread")
        return CurationStore.from_session(session).comments(material.id)

    def decide(
        self,
        session: Session,
        actor: User,
        material_id: str,
        *,
        decision: Decision,
        comment: str | None,
        rubric: Mapping[str, bool | None],
        signer: Signer,
        ip: str | None = None,
    ) -> MaterialVersion:
        """Approve, request changes or reject the submitted version.

        Raises:
            PermissionDenied: not a curator, outside scope, or own submission.
            Conflict: nothing submitted, claimed by someone else, or a required rubric item failed.
            ValidationFailed: unknown rubric items, an unticked required item, a missing comment.
        """
        material, version = self._reviewable(session, actor, material_id)
        if version.claimed_by_id not in (None, actor.id) and not has_role(actor, Role.admin):
            raise Conflict("another curator has claimed this submission")
        checked = _check_rubric(decision, rubric)
        text = (comment or "").strip() or None
        if decision is not Decision.approve and text is None:
            raise ValidationFailed(
                "say what should change: a comment is required to request changes or reject",
                details=[{"field": "comment", "message": "required"}],
            )
        _apply_decision(
            session,
            actor,
            material,
            version,
            decision,
            text,
            checked,
            signer,
            audited={"rubric": checked},
            ip=ip,
        )
        return version

    def bulk_decide(
        self,
        session: Session,
        actor: User,
        material_ids: Sequence[str],
        *,
        decision: Decision,
        comment: str | None,
        rubric: dict[str, bool | None],
        signer: Signer,
        ip: str | None = None,
    ) -> list[tuple[str, RepositoryError | MaterialVersion]]:
        """Decide many submissions. Each item succeeds or fails on its own (a savepoint each);
        refusals are audited like single ones."""
        results: list[tuple[str, RepositoryError | MaterialVersion]] = []
        for material_id in dict.fromkeys(material_ids):
            try:
                with session.begin_nested():
                    version = self.decide(
                        session,
                        actor,
                        material_id,
                        decision=decision,
                        comment=comment,
                        rubric=rubric,
                        signer=signer,
                        ip=ip,
                    )
                results.append((material_id, version))
            except RepositoryError as exc:
                record_refusal(
                    session,
                    actor,
                    action=f"review.{decision.value}",
                    material_id=material_id,
                    error=exc,
                    ip=ip,
                )
                results.append((material_id, exc))
        return results

    def publish_direct(
        self,
        session: Session,
        admin: User,
        material_id: str,
        *,
        signer: Signer,
        note: str,
        ip: str | None = None,
    ) -> MaterialVersion:
        """Publish without review (collections curated elsewhere): approved, signed, audited as ``admin``."""
        if not has_role(admin, Role.admin):
            raise PermissionDenied("only an admin can publish materials directly")
        material = material_for_update(session, admin, material_id)
        version = versions_of(session, material)[-1]
        if version.state == WorkflowState.approved and version.signature is not None:
            return version  # idempotent: re-running an import changes nothing
        version.submitted_by_id = version.submitted_by_id or admin.id
        version.submitted_at = version.submitted_at or utcnow()
        _apply_decision(
            session,
            admin,
            material,
            version,
            Decision.approve,
            note,
            {},
            signer,
            audited={"direct": True},
            ip=ip,
        )
        return version

    def queue(self, session: Session, actor: User, *, page: int, size: int) -> tuple[list[QueueItem], int]:
        """Submitted versions the curator may decide (scope-filtered, oldest submission first)."""
        if not has_role(actor, Role.curator):
            raise PermissionDenied("only curators and admins have a review queue")
        store = CurationStore.from_session(session)
        rows, total = store.queue(actor, offset=(page - 1) * size, limit=size)
        issues: dict[str, list[str]] = {}
        for issue in store.open_issues([m.id for _, m in rows]):
            issues.setdefault(issue.material_id or "", []).append(f"{issue.problem}: {issue.detail}")
        items = [
            QueueItem(
                material_id=m.id,
                version=v.number,
                title=v.title,
                owner=m.owner.username,
                subjects=list(v.meta.get("subjects", [])),
                grades=list(v.meta.get("grades", [])),
                submitted_by=v.submitted_by.username if v.submitted_by else None,
                submitted_at=v.submitted_at,
                claimed_by=v.claimed_by.username if v.claimed_by else None,
                files_failed=sum(
                    1 for f in m.files if f.id in set(v.file_ids) and f.status == IngestStatus.failed
                ),
                accept_failed_reason=v.accept_failed_reason,
                integrity_problems=issues.get(m.id, []),
            )
            for v, m in rows
        ]
        return items, total


reviews = ReviewService()
