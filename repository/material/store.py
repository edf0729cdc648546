from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from repository.models import Derivative, Material, MaterialFile, MaterialVersion, User, WorkflowState
from repository.policy.visibility import visible_to
from repository.store import StoreBase


def _full() -> tuple[_AbstractLoad, ...]:
    return (
        selectinload(Material.owner),
        selectinload(Material.organisation),
        selectinload(Material.files).selectinload(MaterialFile.derivatives),
    )


class MaterialStore(StoreBase[Material]):
    model = Material

    def get_visible(self, id: str, actor: User | None) -> Material | None:
        stmt = select(Material).options(*_full()).where(Material.id == id, visible_to(actor))
        return self.session.scalar(stmt)

    def approved_in_lesson(self, series: str, lesson: str, *, limit: int = 50) -> list[Material]:
        """Approved materials whose metadata names this series and lesson heading (oldest first);
        the caller narrows by grade, subject and volume. Files are not loaded."""
        stmt = (
            select(Material)
            .where(
                Material.state == WorkflowState.approved,
                Material.meta["series"].as_string() == series,
                Material.meta["lesson"].as_string() == lesson,
            )
            .order_by(Material.created_at, Material.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def get_full(self, id: str) -> Material | None:
        return self.session.scalar(select(Material).options(*_full()).where(Material.id == id))

    def list_visible(
        self,
        actor: User | None,
        *,
        offset: int,
        limit: int,
        state: str | None = None,
        owner_id: str | None = None,
    ) -> tuple[list[Material], int]:
        cond = visible_to(actor)
        if state is not None:
            cond = cond & (Material.state == state)
        if owner_id is not None:
            cond = cond & (Material.owner_id == owner_id)
        total = self.session.scalar(select(func.count()).select_from(Material).where(cond)) or 0
        stmt: Select[Material] = (
            select(Material)
            .options(*_full())
            .where(cond)
            .order_by(Material.created_at.desc(), Material.id)
            .offset(offset)
            .limit(limit)
        )
        return list(self.session.scalars(stmt)), int(total)

    def versions(self, material_id: str) -> list[MaterialVersion]:
        """The material's versions, oldest first, with the accounts that made each step."""
        return list(
            self.session.scalars(
                select(MaterialVersion)
                .options(
                    selectinload(MaterialVersion.created_by),
                    selectinload(MaterialVersion.submitted_by),
                    selectinload(MaterialVersion.claimed_by),
                    selectinload(MaterialVersion.decided_by),
                )
                .where(MaterialVersion.material_id == material_id)
                .order_by(MaterialVersion.number)
            )
        )

    def file_in(self, material_id: str, file_id: str) -> MaterialFile | None:
        return self.session.scalar(
            select(MaterialFile)
            .options(selectinload(MaterialFile.derivatives))
            .where(MaterialFile.id == file_id, MaterialFile.material_id == material_id)
        )

    def content_candidates(self, sha256: str) -> list[tuple[str, str, str, str, str, str]]:
        """``(storage_key, media_type, filename, kind, material_id, file_id)`` of the files and
        derivatives of approved materials whose bytes have this sha256 (originals first; the
        caller still checks the file is in the live version). HLS playlists and package parts
        are left out: their relative links only resolve under their file's URL."""
        approved = Material.state == WorkflowState.approved
        rows = self.session.execute(
            select(
                MaterialFile.storage_key,
                MaterialFile.media_type,
                MaterialFile.filename,
                MaterialFile.material_id,
                MaterialFile.id,
            )
            .join(Material, Material.id == MaterialFile.material_id)
            .where(MaterialFile.sha256 == sha256, approved)
            .limit(20)
        ).all()
        found = [(r[0], r[1], r[2], "original", r[3], r[4]) for r in rows]
        derived = self.session.execute(
            select(
                Derivative.storage_key,
                Derivative.media_type,
                MaterialFile.filename,
                Derivative.kind,
                MaterialFile.material_id,
                MaterialFile.id,
            )
            .join(MaterialFile, MaterialFile.id == Derivative.file_id)
            .join(Material, Material.id == MaterialFile.material_id)
            .where(
                Derivative.sha256 == sha256, approved, Derivative.kind.not_in(("hls", "hls-part", "package"))
            )
            .limit(20)
        ).all()
        return found + [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in derived]

    def derivative_in(self, file_id: str, derivative_id: str) -> Derivative | None:
        return self.session.scalar(
            select(Derivative).where(Derivative.id == derivative_id, Derivative.file_id == file_id)
        )

    def hls_file(self, file_id: str, path: str) -> Derivative | None:
        kind, label = ("hls", "master.m3u8") if path == "master.m3u8" else ("hls-part", path)
        return self.session.scalar(
            select(Derivative).where(
                Derivative.file_id == file_id, Derivative.kind == kind, Derivative.label == label
            )
        )

    def package_file(self, file_id: str, path: str) -> Derivative | None:
        """One unpacked file of a SCORM/HTML5 package (its label is its path in the package)."""
        return self.session.scalar(
            select(Derivative).where(
                Derivative.file_id == file_id, Derivative.kind == "package", Derivative.label == path
            )
        )

    def material_with_sha256(self, sha256: str, *, exclude_material: str | None = None) -> str | None:
        stmt = select(MaterialFile.material_id).where(MaterialFile.sha256 == sha256)
        if exclude_material is not None:
            stmt = stmt.where(MaterialFile.material_id != exclude_material)
        return self.session.scalar(stmt.order_by(MaterialFile.created_at).limit(1))

    def public_by_heading(self, *, chapter: str | None, lesson: str | None, limit: int) -> list[Material]:
        """Approved materials whose metadata names this chapter and/or lesson heading (exports)."""
        stmt = select(Material).options(*_full()).where(Material.state == WorkflowState.approved)
        if chapter:
            stmt = stmt.where(Material.meta["chapter"].as_string() == chapter)
        if lesson:
            stmt = stmt.where(Material.meta["lesson"].as_string() == lesson)
        return list(self.session.scalars(stmt.order_by(Material.created_at, Material.id).limit(limit)))

    def ids(self) -> list[str]:
        """Every material id, in id order."""
        return list(self.session.scalars(select(Material.id).order_by(Material.id)))

    def for_index(self, ids: Sequence[str]) -> list[Material]:
        """The materials with these ids, files, derivatives and organisation loaded, in id order
        (one round trip per relation for a whole batch: ``reindex`` at 1M materials)."""
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

    def last_changes(self) -> Iterator[tuple[str, datetime | None, datetime | None, datetime | None]]:
        """``(id, updated_at, newest file updated_at, newest derivative created_at)`` of every
        material in id order, computed in the database (nothing loaded)."""
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
            yield ident, _dt(updated), _dt(f), _dt(d)


def _dt(value: object) -> datetime | None:
    # Aggregates (max) bypass the column type on SQLite and come back as ISO strings.
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


class IngestStore(StoreBase[MaterialFile]):
    """The rows ingest writes: a file's processing state and the derivatives made from it."""

    model = MaterialFile

    def material_with_files(self, material_id: str) -> Material | None:
        stmt = select(Material).options(selectinload(Material.files)).where(Material.id == material_id)
        return self.session.scalar(stmt)

    def remove_derivatives(
        self, file_id: str, *, kinds: Collection[str] | None = None, keep: Collection[str] = ()
    ) -> None:
        """Delete a file's derivatives of ``kinds`` (all kinds when None) except those in ``keep``."""
        stmt = delete(Derivative).where(Derivative.file_id == file_id)
        if kinds is not None:
            stmt = stmt.where(Derivative.kind.in_(kinds))
        if keep:
            stmt = stmt.where(Derivative.kind.not_in(keep))
        self.session.execute(stmt)
        self.session.flush()

    def add_derivatives(self, file_id: str, rows: Iterable[Derivative]) -> None:
        for row in rows:
            row.file_id = file_id
            self.session.add(row)
