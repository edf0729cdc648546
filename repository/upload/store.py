"""``UploadStore``: the SQL of resumable upload sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from repository.models import Material, MaterialFile, Upload
from repository.store import StoreBase


class UploadStore(StoreBase[Upload]):
    model = Upload

    def bytes_used(self, owner_id: str) -> int:
        """Bytes of every file of the owner's materials (all versions) plus its open uploads' lengths."""
        files = self.session.scalar(
            select(func.coalesce(func.sum(MaterialFile.size), 0))
            .join(Material, Material.id == MaterialFile.material_id)
            .where(Material.owner_id == owner_id)
        )
        pending = self.session.scalar(
            select(func.coalesce(func.sum(Upload.length), 0)).where(Upload.owner_id == owner_id)
        )
        return int(files or 0) + int(pending or 0)

    def get_owned(self, upload_id: str, owner_id: str) -> Upload | None:
        """The session when ``owner_id`` owns it; None otherwise (others must not learn it exists)."""
        return self.session.scalar(select(Upload).where(Upload.id == upload_id, Upload.owner_id == owner_id))

    def expired(self, now: datetime, *, limit: int = 1000) -> Sequence[Upload]:
        return self.session.scalars(
            select(Upload).where(Upload.expires_at <= now).order_by(Upload.expires_at).limit(limit)
        ).all()

    def live_ids(self) -> set[str]:
        return set(self.session.scalars(select(Upload.id)).all())

    def delete(self, upload: Upload) -> None:
        self.session.delete(upload)
        self.session.flush()
