"""Common Cartridge export: ``GET /api/v1/exports/common-cartridge`` → an ``.imscc`` package."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from repository import cartridge
from web.deps import OptionalUser, ReadSession, RuntimeDep

router = APIRouter(tags=["exports"])


@router.get(
    "/exports/common-cartridge",
    summary="A lesson, a chapter or a selection of materials as an IMS Common Cartridge 1.3 (.imscc)",
    description=(
        "Either `material` ids (repeatable, at most 200; the caller's visibility applies) or a `chapter` "
        "and/or `lesson` heading as printed in the metadata (public materials; `subject` and `grade` "
        "narrow it). `files=links` (default) puts a web link to each material's page in the cartridge; "
        "`files=embed` also packs the original files (at most 1 GiB in all)."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {cartridge.MEDIA_TYPE: {}}}},
)
def common_cartridge(
    runtime: RuntimeDep,
    session: ReadSession,
    user: OptionalUser,
    material: Annotated[list[str], Query(max_length=200)] = [],  # noqa: B006
    chapter: Annotated[str | None, Query(max_length=500)] = None,
    lesson: Annotated[str | None, Query(max_length=500)] = None,
    subject: Annotated[str | None, Query(max_length=100)] = None,
    grade: Annotated[int | None, Query(ge=1, le=12)] = None,
    files: Literal["links", "embed"] = "links",
    title: Annotated[str | None, Query(max_length=300)] = None,
) -> StreamingResponse:
    selection = cartridge.Selection(
        material_ids=material, chapter=chapter, lesson=lesson, subject=subject, grade=grade
    )
    materials = cartridge.select_materials(session, user, selection)
    name = title or lesson or chapter or (materials[0].title if len(materials) == 1 else "Hoclieu")
    package = cartridge.spooled()
    cartridge.build(
        materials, runtime.blobs, package, title=name, base_url=runtime.settings.base_url, mode=files
    )
    size = package.tell()
    package.seek(0)

    def chunks() -> Iterator[bytes]:
        with package:
            while chunk := package.read(1024 * 1024):
                yield chunk

    filename = quote(f"{name}.imscc")
    return StreamingResponse(
        chunks(),
        media_type=cartridge.MEDIA_TYPE,
        headers={
            "Content-Disposition": f"attachment; filename=\"hoclieu.imscc\"; filename*=UTF-8''{filename}",
            "Content-Length": str(size),
            "Cache-Control": "private, no-store",
        },
    )
