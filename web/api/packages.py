"""Offline packages over HTTP: the zip of a selection, and an update from an older package.

``GET /api/v1/packages/offline.zip?grade=5&subject=toan`` streams the same package as
``hoclieu package --grade 5 --subject toan`` (built once per content state, then cached under
``DATA_DIR/packages``). ``POST /api/v1/packages/update.zip`` with an older package's
``hoclieu-package.json`` as the body returns the update package from it to today's content.
Only approved materials go into packages, whoever asks.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from repository.offline.package import Selection, build_update, cached_package
from repository.signing import signer_for
from web.deps import ReadSession, RuntimeDep

router = APIRouter(tags=["offline packages"])

ZIP: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {}}, "description": "the package (a zip)"}
}


def _name(selection: Selection, kind: str) -> str:
    parts = [f"hoclieu-{kind}-lop-{selection.grade}"] + [
        v for v in (selection.subject, selection.series) if v is not None
    ]
    return "-".join(parts) + ".zip"


@router.get(
    "/packages/offline.zip",
    summary="Offline package (a static site in a zip) of the approved materials of a grade/subject",
    response_class=FileResponse,
    responses={**ZIP, 404: {"description": "no approved material matches"}},
)
def offline_package(
    runtime: RuntimeDep,
    session: ReadSession,
    grade: Annotated[int, Query(ge=1, le=12)],
    subject: Annotated[str | None, Query(max_length=64)] = None,
    series: Annotated[str | None, Query(max_length=64)] = None,
    lesson: Annotated[str | None, Query(max_length=300)] = None,
) -> FileResponse:
    settings = runtime.settings
    selection = Selection(grade=grade, subject=subject, series=series, lesson=lesson)
    path, plan = cached_package(
        session,
        runtime.blobs,
        signer_for(settings),
        selection,
        settings.data_dir / "packages",
        source=settings.base_url,
    )
    return FileResponse(
        path,
        media_type="application/zip",
        filename=_name(selection, "goi"),
        headers={"ETag": f'"{plan.package_id}"'},
    )


@router.post(
    "/packages/update.zip",
    summary="Update package: only what changed since the package whose hoclieu-package.json is posted",
    response_class=FileResponse,
    responses={**ZIP, 422: {"description": "the body is not a package manifest"}},
)
def offline_update(
    runtime: RuntimeDep, session: ReadSession, base: Annotated[dict[str, Any], Body()]
) -> FileResponse:
    settings = runtime.settings
    folder = settings.data_dir / "packages"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix="update-", suffix=".zip")
    os.close(fd)
    out = Path(name)
    try:
        plan, _changed, _deleted = build_update(
            session, runtime.blobs, signer_for(settings), base, out, source=settings.base_url
        )
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return FileResponse(
        out,
        media_type="application/zip",
        filename=_name(plan.selection, "cap-nhat"),
        background=BackgroundTask(out.unlink, missing_ok=True),
    )
