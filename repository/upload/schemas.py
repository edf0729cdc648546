"""Pydantic shapes of resumable uploads (the JSON twin of the tus headers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from repository.models import Upload


class UploadRead(BaseModel):
    id: str
    url: str = Field(description="Where to send HEAD, PATCH and DELETE for this upload")
    filename: str
    content_type: str | None
    length: int = Field(description="Declared size in bytes (tus Upload-Length)")
    offset: int = Field(description="Bytes stored and acknowledged so far (tus Upload-Offset)")
    complete: bool
    sha256: str | None = Field(description="Set once the last byte arrived")
    expires_at: datetime

    @classmethod
    def build(cls, upload: Upload) -> UploadRead:
        return cls(
            id=upload.id,
            url=f"/api/v1/uploads/{upload.id}",
            filename=upload.filename,
            content_type=upload.content_type,
            length=upload.length,
            offset=upload.received,
            complete=upload.complete,
            sha256=upload.sha256,
            expires_at=upload.expires_at,
        )


class MaterialFromUploads(BaseModel):
    """``POST /api/v1/materials`` as JSON: a material from completed resumable uploads."""

    uploads: list[str] = Field(
        min_length=1, max_length=50, description="Ids of completed uploads, in file order"
    )
    metadata: dict[str, Any] = Field(default_factory=dict, description="Metadata document (material-v1.0.0)")
