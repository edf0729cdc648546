"""SQL for organisations and their members (the only place that queries them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from repository.models import Material, Organisation, OrganisationMember, WorkflowState
from repository.store import StoreBase


class OrganisationStore(StoreBase[Organisation]):
    model = Organisation

    def by_slug(self, slug: str) -> Organisation | None:
        return self.session.scalar(select(Organisation).where(Organisation.slug == slug))

    def by_slugs(self, slugs: Sequence[str]) -> list[Organisation]:
        if not slugs:
            return []
        return list(self.session.scalars(select(Organisation).where(Organisation.slug.in_(list(slugs)))))

    def with_counts(self) -> list[tuple[Organisation, int]]:
        """Every organisation with its number of approved materials, by name."""
        approved = (
            select(Material.organisation_id, func.count().label("n"))
            .where(Material.state == WorkflowState.approved, Material.organisation_id.is_not(None))
            .group_by(Material.organisation_id)
            .subquery()
        )
        rows = self.session.execute(
            select(Organisation, func.coalesce(approved.c.n, 0))
            .outerjoin(approved, approved.c.organisation_id == Organisation.id)
            .order_by(Organisation.name, Organisation.slug)
        )
        return [(org, int(n)) for org, n in rows]

    def members(self, organisation_id: str) -> list[OrganisationMember]:
        return list(
            self.session.scalars(
                select(OrganisationMember)
                .options(joinedload(OrganisationMember.user))
                .where(OrganisationMember.organisation_id == organisation_id)
                .order_by(OrganisationMember.created_at, OrganisationMember.id)
            )
        )

    def member_count(self, organisation_id: str) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(OrganisationMember)
                .where(OrganisationMember.organisation_id == organisation_id)
            )
            or 0
        )

    def membership(self, organisation_id: str, user_id: str) -> OrganisationMember | None:
        return self.session.scalar(
            select(OrganisationMember).where(
                OrganisationMember.organisation_id == organisation_id,
                OrganisationMember.user_id == user_id,
            )
        )

    def memberships_of(self, user_id: str) -> list[OrganisationMember]:
        return list(
            self.session.scalars(
                select(OrganisationMember)
                .options(joinedload(OrganisationMember.organisation))
                .where(OrganisationMember.user_id == user_id)
            )
        )

    def approved_materials(self, organisation_id: str) -> list[tuple[str, str, dict[str, Any], datetime]]:
        """``(id, title, metadata, created_at)`` of the organisation's public materials, newest first."""
        rows = self.session.execute(
            select(Material.id, Material.title, Material.meta, Material.created_at)
            .where(Material.organisation_id == organisation_id, Material.state == WorkflowState.approved)
            .order_by(Material.created_at.desc(), Material.id)
        )
        return [(i, t, m if isinstance(m, dict) else {}, c) for i, t, m, c in rows]
