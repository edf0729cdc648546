"""The files of a version: add, replace and remove files of the working version.

Like an edit, a file change never touches an approved or signed version: it goes into the
working version (a new draft n+1 when the latest one is approved, rejected or signed), so the
approved version keeps its own file set, public and downloadable, until the new one is approved.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from repository.curation.versions import follow_and_record, owners_latest, versions_of, working_version
from repository.errors import Conflict, NotFound, ValidationFailed
from repository.material.service import MAX_FILES_PER_MATERIAL, NewFile, file_row, ingest_job
from repository.material.store import MaterialStore
from repository.models import Material, MaterialFile, MaterialVersion, User


def _drop_unreferenced(
    session: Session, material: Material, version: MaterialVersion, file_ids: Sequence[str]
) -> None:
    """Delete file rows no version refers to any more (a draft's own upload replaced or removed).

    Files of an approved, signed or any other version stay: they are part of its record. The
    blob itself stays too (content-addressed, possibly shared; fixity keeps checking it).
    """
    others = versions_of(session, material)
    kept = {i for v in others if v.id != version.id for i in v.file_ids} | set(version.file_ids)
    for f in [f for f in material.files if f.id in file_ids and f.id not in kept]:
        material.files.remove(f)
    session.flush()


class VersionFileService:
    def _editable(self, session: Session, actor: User, material_id: str) -> tuple[Material, MaterialVersion]:
        material, latest = owners_latest(
            session, actor, material_id, change="change its files", before="changing its files"
        )
        return material, working_version(session, material, latest, actor)

    def add_files(
        self,
        session: Session,
        actor: User,
        material_id: str,
        *,
        files: Sequence[NewFile],
        replaces: str | None = None,
        ip: str | None = None,
    ) -> MaterialVersion:
        """Add stored uploads to the working version (or put one in place of ``replaces``).

        An approved material keeps its approved version (and that version's files) public; the
        new files belong to version n+1 only, and their ingest is queued now, so the version
        can be submitted once it finished.

        Raises:
            PermissionDenied: not the owner (or an admin).
            Conflict: the working version is under review.
            NotFound: ``replaces`` is not a file of the working version.
            ValidationFailed: no files, too many files, several files for one replacement.
        """
        if not files:
            raise ValidationFailed("send at least one file (multipart part named 'file')")
        if replaces is not None and len(files) != 1:
            raise ValidationFailed("a replacement takes exactly one file")
        material, version = self._editable(session, actor, material_id)
        ids = list(version.file_ids)
        if replaces is not None and replaces not in ids:
            raise NotFound(f"version {version.number} has no file {replaces!r}")
        if len(ids) + len(files) - (1 if replaces else 0) > MAX_FILES_PER_MATERIAL:
            raise ValidationFailed(f"at most {MAX_FILES_PER_MATERIAL} files per material")
        store = MaterialStore.from_session(session)
        position = max((f.position for f in material.files), default=-1) + 1
        added: list[MaterialFile] = []
        for new in files:
            f = file_row(store, new, position=position, exclude_material=material.id)
            position += 1
            material.files.append(f)
            added.append(f)
        session.flush()
        new_ids = [f.id for f in added]
        if replaces is not None:
            at = ids.index(replaces)
            ids[at : at + 1] = new_ids
        else:
            ids += new_ids
        version.file_ids = ids  # a new list: JSON columns notice assignment, not mutation
        _drop_unreferenced(session, material, version, [replaces] if replaces else [])
        for f in added:
            ingest_job(session, f.id)
        changed = {
            "added": [{"id": f.id, "filename": f.filename, "sha256": f.sha256} for f in added],
            "removed": [replaces] if replaces else [],
        }
        follow_and_record(session, actor, "material.files_changed", material, version, changed, ip=ip)
        return version

    def remove_file(
        self, session: Session, actor: User, material_id: str, file_id: str, *, ip: str | None = None
    ) -> MaterialVersion:
        """Take a file out of the working version (an approved version keeps it).

        Raises:
            NotFound: the working version has no such file.
            Conflict: it is the version's only file, or the version is under review.
        """
        material, version = self._editable(session, actor, material_id)
        ids = list(version.file_ids)
        if file_id not in ids:
            raise NotFound(f"version {version.number} has no file {file_id!r}")
        if len(ids) == 1:
            raise Conflict("a version needs at least one file: add the new one before removing the last")
        ids.remove(file_id)
        version.file_ids = ids
        _drop_unreferenced(session, material, version, [file_id])
        changed = {"added": [], "removed": [file_id]}
        follow_and_record(session, actor, "material.files_changed", material, version, changed, ip=ip)
        return version


version_files = VersionFileService()
