"""The SQL of offline packages: which approved materials a selection holds, loaded in full."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from repository.models import Material, MaterialFile, MaterialVersion, WorkflowState
from repository.store import StoreBase

BATCH = 200


class OfflineStore(StoreBase[Material]):
    model = Material

    def approved_metadata(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(id, metadata)`` of every approved material, streamed (the selection is matched in
        Python: grades and subjects are JSON arrays, which SQLite and PostgreSQL query differently)."""
        stmt = (
            select(Material.id, Material.meta)
            .where(Material.state == WorkflowState.approved.value)
            .order_by(Material.id)
            .execution_options(yield_per=1000)
        )
        yield from self.session.execute(stmt)

    def full(self, ids: Sequence[str]) -> list[Material]:
        """These materials with their files and derivatives, in the order of ``ids``."""
        out: dict[str, Material] = {}
        for start in range(0, len(ids), BATCH):
            chunk = list(ids[start : start + BATCH])
            stmt = (
                select(Material)
                .options(selectinload(Material.files).selectinload(MaterialFile.derivatives))
                .where(Material.id.in_(chunk))
            )
            out.update((m.id, m) for m in self.session.scalars(stmt))
        return [out[i] for i in ids if i in out]

    def versions(self, ids: Sequence[str]) -> dict[str, list[MaterialVersion]]:
        """Every version of these materials, by material id, oldest first (one query per batch)."""
        out: dict[str, list[MaterialVersion]] = {i: [] for i in ids}
        for start in range(0, len(ids), BATCH):
            stmt = (
                select(MaterialVersion)
                .where(MaterialVersion.material_id.in_(list(ids[start : start + BATCH])))
                .order_by(MaterialVersion.material_id, MaterialVersion.number)
            )
            for v in self.session.scalars(stmt):
                out[v.material_id].append(v)
        return out
