"""SQL for curation: a material locked for a workflow action, review comments, the review queue,
integrity issues, signed approvals (a material's versions: ``MaterialStore.versions``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from repository.models import (
    IntegrityIssue,
    Material,
    MaterialVersion,
    ReviewComment,
    Role,
    User,
    WorkflowState,
)
from repository.policy.scope import in_scope_clause
from repository.policy.visibility import visible_to
from repository.store import StoreBase


class CurationStore(StoreBase[MaterialVersion]):
    model = MaterialVersion

    def material_for_update(self, material_id: str, actor: User | None) -> Material | None:
        """The material (visible to ``actor``) with owner and files, its row locked for this transaction.

        ``FOR UPDATE`` serialises two curators deciding at once on PostgreSQL; SQLite write
        transactions are already serial (``BEGIN IMMEDIATE``) and SQLAlchemy omits the clause there.
        """
        return self.session.scalar(
            select(Material)
            .options(selectinload(Material.owner), selectinload(Material.files))
            .where(Material.id == material_id, visible_to(actor))
            .with_for_update(of=Material)
        )

    def material_full(self, material_id: str) -> Material | None:
        return self.session.scalar(
            select(Material)
            .options(selectinload(Material.owner), selectinload(Material.files))
            .where(Material.id == material_id)
        )

    def comments(self, material_id: str) -> list[ReviewComment]:
        return list(
            self.session.scalars(
                select(ReviewComment)
                .options(selectinload(ReviewComment.author))
                .where(ReviewComment.material_id == material_id)
                .order_by(ReviewComment.created_at, ReviewComment.id)
            )
        )

    def queue(
        self, actor: User, *, offset: int, limit: int
    ) -> tuple[list[tuple[MaterialVersion, Material]], int]:
        """Submitted versions the actor may decide: in scope, not their own submission."""
        cond = MaterialVersion.state == WorkflowState.submitted
        if Role(actor.role) is not Role.admin:
            cond = cond & in_scope_clause(actor, MaterialVersion.meta, Material.organisation_id)
        cond = cond & (Material.owner_id != actor.id)
        base = (
            select(MaterialVersion, Material)
            .join(Material, Material.id == MaterialVersion.material_id)
            .where(cond)
        )
        total = self.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = self.session.execute(
            base.options(
                selectinload(MaterialVersion.submitted_by),
                selectinload(MaterialVersion.claimed_by),
                selectinload(Material.owner),
                selectinload(Material.files),
            )
            .order_by(MaterialVersion.submitted_at, MaterialVersion.id)
            .offset(offset)
            .limit(limit)
        ).all()
        return [(v, m) for v, m in rows], int(total)

    def open_issues(self, material_ids: list[str] | None = None) -> list[IntegrityIssue]:
        stmt = select(IntegrityIssue).where(IntegrityIssue.resolved_at.is_(None))
        if material_ids is not None:
            stmt = stmt.where(IntegrityIssue.material_id.in_(material_ids))
        return list(self.session.scalars(stmt.order_by(IntegrityIssue.id)))

    def approved_signed_versions(self) -> list[MaterialVersion]:
        return list(
            self.session.scalars(
                select(MaterialVersion)
                .where(
                    MaterialVersion.state == WorkflowState.approved, MaterialVersion.signature.is_not(None)
                )
                .order_by(MaterialVersion.material_id, MaterialVersion.number)
            )
        )
