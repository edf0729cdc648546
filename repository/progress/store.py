from __future__ import annotations

from sqlalchemy import select

from repository.models import Material, StudyProgress, WorkflowState
from repository.store import StoreBase


class ProgressStore(StoreBase[StudyProgress]):
    model = StudyProgress

    def find(self, user_id: str, material_id: str) -> StudyProgress | None:
        return self.session.get(StudyProgress, (user_id, material_id))

    def in_series(self, user_id: str, series: str) -> list[tuple[StudyProgress, Material]]:
        """The user's progress rows on approved materials of one textbook series."""
        stmt = (
            select(StudyProgress, Material)
            .join(Material, Material.id == StudyProgress.material_id)
            .where(
                StudyProgress.user_id == user_id,
                Material.state == WorkflowState.approved,
                Material.meta["series"].as_string() == series,
            )
        )
        return [(p, m) for p, m in self.session.execute(stmt)]
