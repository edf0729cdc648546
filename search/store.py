"""The SQL the indexer needs (house style: SQL lives in ``store.py`` modules only).

Two things the material store does not offer: loading a batch of materials with their files and
derivatives in one round trip (``reindex`` at 1M materials), and each material's *index
revision* without loading anything (``search-check``).

The index revision is the newest of the material's ``updated_at``, its files' ``updated_at`` and
its derivatives' ``created_at``, in microseconds. It changes on every change that affects the
search document, including workflow transitions (approve, withdraw) that do not bump
``Material.version`` and extracted text arriving from ingest, so an index entry whose revision
differs from the database's is stale.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from repository.models import Derivative, Material, MaterialFile
from repository.store import StoreBase


def micros(value: datetime | None) -> int:
    """A timestamp as integer microseconds since the epoch (naive values are UTC)."""
    if value is None:
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    # Integer arithmetic: float timestamps lose the last microsecond on some values.
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def revision_of(material: Material) -> int:
    """The index revision of a loaded material (files and derivatives eager-loaded)."""
    stamps = [material.updated_at]
    for f in material.files:
        stamps.append(f.updated_at)
        stamps.extend(d.created_at for d in f.derivatives)
    return max(micros(s) for s in stamps)


class IndexSourceStore(StoreBase[Material]):
    """Reads the indexer's input: materials in id order, with everything a document needs."""

    model = Material

    def ids(self) -> list[str]:
        """Every material id, in id order."""
        return list(self.session.scalars(select(Material.id).order_by(Material.id)))

    def load(self, ids: Sequence[str]) -> list[Material]:
        """The materials with these ids (files and derivatives eager-loaded), in id order."""
        if not ids:
            return []
        stmt = (
            select(Material)
            .options(
                selectinload(Material.files).selectinload(MaterialFile.derivatives),
                selectinload(Material.organisation),
            )
            .where(Material.id.in_(list(ids)))
            .order_by(Material.id)
        )
        return list(self.session.scalars(stmt))

    def revisions(self) -> Iterator[tuple[str, int]]:
        """``(id, revision)`` of every material, computed in the database (no documents loaded)."""
        files = (
            select(MaterialFile.material_id, func.max(MaterialFile.updated_at).label("f"))
            .group_by(MaterialFile.material_id)
            .subquery()
        )
        derivs = (
            select(MaterialFile.material_id, func.max(Derivative.created_at).label("d"))
            .join(Derivative, Derivative.file_id == MaterialFile.id)
            .group_by(MaterialFile.material_id)
            .subquery()
        )
        stmt = (
            select(Material.id, Material.updated_at, files.c.f, derivs.c.d)
            .outerjoin(files, files.c.material_id == Material.id)
            .outerjoin(derivs, derivs.c.material_id == Material.id)
            .order_by(Material.id)
        )
        for ident, updated, f, d in self.session.execute(stmt):
            yield ident, max(micros(_dt(updated)), micros(_dt(f)), micros(_dt(d)))


def _dt(value: object) -> datetime | None:
    # Aggregates (max) bypass the column type on SQLite and come back as ISO strings.
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
