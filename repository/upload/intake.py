"""A new material from files already in the blob store and completed resumable uploads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from repository.db import Database
from repository.material.schemas import MaterialRead
from repository.material.service import NewFile
from repository.material.service import material as material_service
from repository.material.store import MaterialStore
from repository.models import User
from repository.storage import BlobStore
from repository.uow import UnitOfWork
from repository.upload.service import upload as upload_service


def create_material(
    db: Database,
    blobs: BlobStore,
    user: User,
    *,
    metadata: dict[str, Any],
    files: list[NewFile],
    uploads: Sequence[str] = (),
    ip: str | None = None,
) -> MaterialRead:
    """Create the material in one transaction and return it as its owner sees it.

    Args:
        db: the database.
        blobs: the blob store ``files`` are in and ``uploads`` are linked into.
        user: the owner (merged into the transaction's session).
        metadata: the metadata document (validated by the material service).
        files: files already stored (a form's parts).
        uploads: ids of completed resumable uploads, added after ``files``; their sessions end
            with the commit.
        ip: the client's address, for the audit record.
    """
    with UnitOfWork(db, write=True) as uow:
        actor = uow.session.merge(user)
        new_files = files + upload_service.take(uow.session, actor, blobs, uploads)
        created = material_service.create(uow.session, actor, metadata=metadata, files=new_files, ip=ip)
        material_id = created.id
    with db.read() as session:
        found = material_service.get(session, user, material_id)
        return MaterialRead.build(found, detail=material_service.shows_failure_details(session, user, found))


def file_states(db: Database, files: Sequence[tuple[str, str]]) -> dict[str, tuple[str, str | None]]:
    """``file_id → (status, error)`` of these ``(material_id, file_id)`` pairs (importers wait on it);
    a file that no longer exists is left out."""
    states: dict[str, tuple[str, str | None]] = {}
    with db.read() as session:
        store = MaterialStore.from_session(session)
        for material_id, file_id in files:
            m = store.get_full(material_id)
            f = next((f for f in (m.files if m else []) if f.id == file_id), None)
            if f is not None:
                states[file_id] = (f.status, f.error)
    return states
