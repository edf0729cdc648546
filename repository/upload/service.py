"""Resumable upload sessions: create, append at an offset, query, delete, expire, and hand the
finished files to material creation.

Durability rule: bytes are written and fsync'd *before* the session's ``received`` offset moves
past them (``begin_append`` → write → ``ResumableWriter.sync`` → ``record``), so an offset the
server acknowledged survives a crash, and bytes written after it (a chunk cut off by a crash)
are dropped by the next writer. The database row is the truth; a restart loses nothing.

Appends never hold a database transaction while bytes arrive (a 3G chunk may take a minute and
SQLite has one writer): the exclusive lock on the partial file keeps two requests for the same
upload apart, and the offset check + update run in short transactions of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from repository.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    QuotaExceeded,
    RepositoryError,
    ValidationFailed,
)
from repository.material.service import NewFile, clean_filename
from repository.mediatypes import guess_from_name, sniff
from repository.models import Role, Upload, User, utcnow
from repository.policy.roles import has_role
from repository.storage import BlobStore, ResumableWriter
from repository.uow import after_commit
from repository.upload.store import UploadStore

# How long a session lives after its last chunk: long enough for a teacher to come back the next
# day on a better connection, short enough that abandoned partial videos do not fill the disk.
UPLOAD_TTL = timedelta(hours=48)
# Partial files younger than this are never swept as orphans (their session may be committing).
ORPHAN_GRACE_S = 3600.0


class UploadGone(RepositoryError):
    """The upload session expired (or lost its stored part): start the upload again."""

    status_code = 410
    code = "upload_expired"


class OffsetMismatch(Conflict):
    """The client's ``Upload-Offset`` is not what the server has stored (tus: 409)."""

    code = "offset_mismatch"

    def __init__(self, offset: int, stored: int) -> None:
        super().__init__(
            f"Upload-Offset is {offset} but the server has {stored} bytes of this upload: "
            f"resume from {stored}",
            details=[
                {"field": "Upload-Offset", "message": "does not match the stored offset", "offset": stored}
            ],
        )
        self.stored = stored


@dataclass(frozen=True)
class Quota:
    """An account's storage: ``allowed`` bytes (0: unlimited), ``used`` by its files and open uploads."""

    allowed: int
    used: int

    @property
    def remaining(self) -> int | None:
        return None if self.allowed <= 0 else max(self.allowed - self.used, 0)

    def exceeded(self, extra: int) -> QuotaExceeded:
        return QuotaExceeded(
            f"this upload ({extra:,} bytes) would take your storage past its quota: "
            f"{self.used:,} of {self.allowed:,} bytes are used; delete old files or ask an administrator",
            details=[
                {"field": "quota", "message": "quota exceeded", "used": self.used, "allowed": self.allowed}
            ],
        )

    def check(self, extra: int) -> None:
        """Raises:
        QuotaExceeded: 507 when ``extra`` more bytes do not fit."""
        remaining = self.remaining
        if remaining is not None and extra > remaining:
            raise self.exceeded(extra)


class UploadService:
    ttl = UPLOAD_TTL

    def quota(self, session: Session, actor: User, *, allowed: int) -> Quota:
        """What ``actor`` stores now: its materials' files plus the full length of its open uploads."""
        return Quota(allowed=allowed, used=UploadStore.from_session(session).bytes_used(actor.id))

    def create(
        self,
        session: Session,
        actor: User,
        blobs: BlobStore,
        *,
        filename: str,
        length: int,
        content_type: str | None,
        max_bytes: int,
        quota_bytes: int = 0,
    ) -> Upload:
        """Open a session for a file of ``length`` bytes and create its empty partial file.

        Raises:
            PermissionDenied: the actor may not upload.
            ValidationFailed: no file name, or an empty file.
            PayloadTooLarge: ``length`` is above ``max_bytes``.
            QuotaExceeded: ``length`` more bytes would pass the owner's ``quota_bytes`` (0: none).
        """
        if not has_role(actor, Role.teacher):
            raise PermissionDenied("only teachers, curators and admins can upload materials")
        name = clean_filename(filename)
        if length <= 0:
            raise ValidationFailed("file is empty (0 bytes)")
        if length > max_bytes:
            raise PayloadTooLarge(f"the file ({length} bytes) is larger than the limit of {max_bytes} bytes")
        # The whole declared length counts from now on: a session reserves its space.
        self.quota(session, actor, allowed=quota_bytes).check(length)
        now = utcnow()
        upload = Upload(
            owner=actor,
            filename=name,
            content_type=(content_type or "").strip()[:200] or None,
            length=length,
            received=0,
            updated_at=now,
            expires_at=now + self.ttl,
        )
        UploadStore.from_session(session).add(upload)
        # A rollback after this leaves an orphan file; cleanup_resumable removes it later.
        blobs.resumable(upload.id).create()
        return upload

    def get(self, session: Session, actor: User, upload_id: str) -> Upload:
        """The actor's own live session.

        Raises:
            NotFound: no such session, or someone else's (its existence is not disclosed).
            UploadGone: the session expired.
        """
        upload = UploadStore.from_session(session).get_owned(upload_id, actor.id)
        if upload is None:
            raise NotFound(f"no upload with id {upload_id!r}")
        if upload.expires_at <= utcnow():
            raise UploadGone(f"upload {upload_id!r} expired: start it again")
        return upload

    def begin_append(
        self, session: Session, actor: User, blobs: BlobStore, upload_id: str, *, offset: int
    ) -> tuple[Upload, ResumableWriter]:
        """Check ``offset`` against the stored one and lock the partial file for writing there.

        The caller writes, calls ``writer.sync()``, then ``record`` in a write transaction, and
        closes the writer (releasing the lock) last.

        Raises:
            NotFound, UploadGone: as ``get``.
            OffsetMismatch: ``offset`` is not the stored offset.
            Conflict: another request is writing this upload right now.
        """
        upload = self.get(session, actor, upload_id)
        if offset != upload.received:
            raise OffsetMismatch(offset, upload.received)
        part = blobs.resumable(upload.id)
        if not part.exists():
            raise UploadGone(f"the stored part of upload {upload_id!r} is missing: start it again")
        return upload, part.writer(offset, limit=upload.length)

    def record(
        self, session: Session, actor: User, upload_id: str, *, start: int, end: int, sha256: str | None
    ) -> Upload:
        """Acknowledge bytes ``start..end`` (already fsync'd) and extend the session's life."""
        upload = UploadStore.from_session(session).get_owned(upload_id, actor.id)
        if upload is None:
            raise NotFound(f"no upload with id {upload_id!r}")  # deleted while the chunk arrived
        if upload.received != start:
            raise OffsetMismatch(start, upload.received)
        now = utcnow()
        upload.received = end
        if sha256 is not None:
            upload.sha256 = sha256
        upload.updated_at = now
        upload.expires_at = now + self.ttl
        session.flush()
        return upload

    def delete(self, session: Session, actor: User, blobs: BlobStore, upload_id: str) -> None:
        """Terminate a session (tus termination); its partial file goes after the commit."""
        upload = self.get(session, actor, upload_id)
        part = blobs.resumable(upload.id)
        UploadStore.from_session(session).delete(upload)
        after_commit(session, part.remove)

    def take(
        self, session: Session, actor: User, blobs: BlobStore, upload_ids: Sequence[str]
    ) -> list[NewFile]:
        """Turn completed uploads into stored blobs for a new material, and end their sessions.

        The partial files are linked into the blob store (so they stay valid if the transaction
        rolls back) and removed only after the commit.

        Raises:
            NotFound, UploadGone: as ``get``.
            Conflict: an upload is not complete yet.
            ValidationFailed: an id named twice.
        """
        seen: set[str] = set()
        files: list[NewFile] = []
        store = UploadStore.from_session(session)
        for upload_id in upload_ids:
            if upload_id in seen:
                raise ValidationFailed(f"upload {upload_id!r} is named twice")
            seen.add(upload_id)
            upload = self.get(session, actor, upload_id)
            if not upload.complete or upload.sha256 is None:
                raise Conflict(
                    f"upload {upload_id!r} is not complete: "
                    f"{upload.received} of {upload.length} bytes received"
                )
            part = blobs.resumable(upload.id)
            if part.size() != upload.length:
                raise UploadGone(f"the stored part of upload {upload_id!r} is missing: start it again")
            detected = sniff(part.path, upload.filename)
            declared = (
                upload.content_type if upload.content_type not in (None, "application/octet-stream") else None
            )
            blob = blobs.promote_file(part.path, sha256=upload.sha256)
            files.append(
                NewFile(
                    filename=upload.filename,
                    blob=blob,
                    media_type=detected,
                    declared_media_type=declared or guess_from_name(upload.filename),
                )
            )
            store.delete(upload)
            after_commit(session, part.remove)
        return files

    def expire(self, session: Session, blobs: BlobStore, *, now: datetime | None = None) -> int:
        """Delete expired sessions; after the commit remove their files and any orphan ones.

        Returns:
            How many sessions expired.
        """
        store = UploadStore.from_session(session)
        expired = store.expired(now or utcnow())
        for upload in expired:
            part = blobs.resumable(upload.id)
            store.delete(upload)
            after_commit(session, part.remove)
        live = store.live_ids()

        def sweep() -> None:
            blobs.cleanup_resumable(live=live, older_than_s=ORPHAN_GRACE_S)

        after_commit(session, sweep)
        return len(expired)


upload = UploadService()
