from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from repository.models import Derivative, Material, MaterialFile, WorkflowState

# Stored derivatives that are parts of another one (HLS segments, the unpacked files of an e-lecture
# package), not listed on their own.
HIDDEN_KINDS = frozenset({"hls-part", "package"})


class DerivativeRead(BaseModel):
    id: str
    kind: str
    label: str
    media_type: str
    size: int
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    page: int | None = None
    url: str
    content_url: str | None = Field(
        None, description="Immutable content-addressed URL (approved materials only): cacheable forever."
    )

    @classmethod
    def build(cls, material_id: str, d: Derivative, *, public: bool = False) -> DerivativeRead:
        base = f"/api/v1/materials/{material_id}/files/{d.file_id}"
        # HLS is a tree of files with relative links: the master playlist is served by path.
        url = f"{base}/hls/master.m3u8" if d.kind == "hls" else f"{base}/derivatives/{d.id}"
        return cls(
            id=d.id,
            kind=d.kind,
            label=d.label,
            media_type=d.media_type,
            size=d.size,
            width=d.width,
            height=d.height,
            duration=d.duration,
            page=d.page or None,
            url=url,
            content_url=f"/api/v1/files/{d.sha256}" if public and d.kind != "hls" else None,
        )


class FileRead(BaseModel):
    id: str
    filename: str
    media_type: str
    declared_media_type: str | None
    size: int
    sha256: str
    status: str
    error: str | None
    progress: float | None
    suggestions: list[dict[str, Any]]
    duplicate_of: str | None
    url: str
    content_url: str | None = Field(
        None, description="Immutable content-addressed URL (approved materials only): cacheable forever."
    )
    derivatives: list[DerivativeRead]

    @classmethod
    def build(cls, f: MaterialFile, *, with_derivatives: bool = True, public: bool = False) -> FileRead:
        return cls(
            id=f.id,
            filename=f.filename,
            media_type=f.media_type,
            declared_media_type=f.declared_media_type,
            size=f.size,
            sha256=f.sha256,
            status=f.status,
            error=f.error,
            progress=f.progress,
            suggestions=list(f.suggestions or []),
            duplicate_of=f.duplicate_of,
            url=f"/api/v1/materials/{f.material_id}/files/{f.id}",
            content_url=f"/api/v1/files/{f.sha256}" if public else None,
            derivatives=[
                DerivativeRead.build(f.material_id, d, public=public)
                for d in f.derivatives
                if d.kind not in HIDDEN_KINDS
            ]
            if with_derivatives
            else [],
        )


class MaterialRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    metadata: dict[str, Any]
    state: str
    version: int
    owner: str
    created_at: datetime
    updated_at: datetime
    files: list[FileRead]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def title(self) -> str:
        return str(self.metadata.get("title", ""))

    @classmethod
    def build(cls, m: Material) -> MaterialRead:
        return cls(
            id=m.id,
            metadata=m.meta,
            state=m.state,
            version=m.version,
            owner=m.owner.username,
            created_at=m.created_at,
            updated_at=m.updated_at,
            files=[FileRead.build(f, public=m.state == WorkflowState.approved) for f in m.files],
        )


class MaterialPage(BaseModel):
    total: int
    page: int
    size: int
    items: list[MaterialRead]


class Paging(BaseModel):
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)
