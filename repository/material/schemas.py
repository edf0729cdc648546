from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from repository.material import failures
from repository.models import Derivative, IngestStatus, Material, MaterialFile, WorkflowState

# Stored derivatives that are parts of another one (HLS segments, the unpacked files of an e-lecture
# package), not listed on their own, and the text's vector (search's, read by the indexer).
HIDDEN_KINDS = frozenset({"hls-part", "package", "vector"})


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
    error: str | None = Field(
        description="Why ingest failed: the uploader's reason for the owner, curators and admins; "
        "a short fixed explanation for everybody else"
    )
    failure: str | None = Field(
        None,
        description="Category of a failure: "
        "damaged, too_large, protected, unsupported, unsafe, server, other",
    )
    progress: float | None
    suggestions: list[dict[str, Any]]
    duplicate_of: str | None
    url: str
    content_url: str | None = Field(
        None, description="Immutable content-addressed URL (approved materials only): cacheable forever."
    )
    derivatives: list[DerivativeRead]
    package: dict[str, Any] | None = Field(
        None,
        description="A SCORM/HTML5 e-lecture unpacked at ingest: its kind, title and launch page "
        "(played from the content origin, never from this API's origin).",
    )

    @classmethod
    def build(
        cls, f: MaterialFile, *, with_derivatives: bool = True, detail: bool = False, public: bool = False
    ) -> FileRead:
        """``detail``: the reader may see why ingest failed in the uploader's terms (the owner,
        curators in scope, admins: ``MaterialService.shows_failure_details``); everybody else
        gets a fixed public explanation (:mod:`repository.material.failures`)."""
        failure = None
        if f.status == IngestStatus.failed:
            failure = (f.info or {}).get("failure") or failures.classify(f.error).value
        return cls(
            id=f.id,
            filename=f.filename,
            media_type=f.media_type,
            declared_media_type=f.declared_media_type,
            size=f.size,
            sha256=f.sha256,
            status=f.status,
            error=f.error if detail else (failures.public_reason(failure) if failure else None),
            failure=failure,
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
            package=_package(f) if with_derivatives else None,
        )


def _package(f: MaterialFile) -> dict[str, Any] | None:
    info = (f.info or {}).get("package")
    if not isinstance(info, dict) or not info.get("launch"):
        return None
    if not any(d.kind == "package" for d in f.derivatives):
        return None  # unpacking failed: nothing to play
    return {"kind": info.get("kind"), "title": info.get("title"), "launch": str(info["launch"])}


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
    def build(cls, m: Material, *, detail: bool = False) -> MaterialRead:
        """``detail``: see :meth:`FileRead.build`."""
        return cls(
            id=m.id,
            metadata=m.meta,
            state=m.state,
            version=m.version,
            owner=m.owner.username,
            created_at=m.created_at,
            updated_at=m.updated_at,
            files=[
                FileRead.build(f, detail=detail, public=m.state == WorkflowState.approved) for f in m.files
            ],
        )


class MaterialPage(BaseModel):
    total: int
    page: int
    size: int
    items: list[MaterialRead]


class Paging(BaseModel):
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)
