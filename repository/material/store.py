from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, true
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from repository.curation.scope import in_scope_clause
from repository.models import Derivative, Material, MaterialFile, Role, User, WorkflowState
from repository.store import StoreBase


def visible_to(actor: User | None) -> ColumnElement[bool]:
    """Which materials ``actor`` may see. The single visibility rule, applied inside queries.

    Approved materials are public. Teachers also see their own. Curators also see, inside their
    scope (``User.scope`` subjects/grades, see repository.curation.scope), every material that
    left the owner's desk (anything but a draft); admins see all. A disabled account sees what
    anonymous visitors see.
    """
    public = Material.state == WorkflowState.approved
    if actor is None or actor.disabled:
        return public
    role = Role(actor.role)
    if role is Role.admin:
        return true()
    mine = Material.owner_id == actor.id
    if role is Role.curator:
        in_scope = in_scope_clause(actor, Material.meta, Material.organisation_id)
        reviewable = and_(Material.state != WorkflowState.draft, in_scope)
        return or_(public, mine, reviewable)
    if role is Role.teacher:
        return or_(public, mine)
    return public


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
