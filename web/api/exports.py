"""A material's metadata as schema.org/LRMI JSON-LD and as Dublin Core (oai_dc) XML.

Same visibility as ``GET /api/v1/materials/{id}`` (the material service applies it); links are
absolute, from ``settings.base_url``.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Response

from repository.material.service import material as material_service
from repository.oai.exports import lrmi_for, oai_dc_for
from repository.text import nfc
from web.deps import OptionalUser, ReadSession, RuntimeDep

router = APIRouter(tags=["materials"])


@router.get(
    "/materials/{material_id}/lrmi",
    summary="The material as a schema.org LearningResource (LRMI), JSON-LD",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {}}}},
)
def material_lrmi(
    material_id: str, session: ReadSession, user: OptionalUser, runtime: RuntimeDep
) -> Response:
    doc = lrmi_for(
        material_service.get(session, user, material_id), base_url=runtime.settings.base_url, session=session
    )
    # NFC over the JSON text is safe (escapes are ASCII) and covers every string in the document.
    return Response(
        nfc(json.dumps(doc, ensure_ascii=False)).encode("utf-8"),
        media_type="application/ld+json; charset=utf-8",
    )


@router.get(
    "/materials/{material_id}/oai_dc",
    summary="The material as a Dublin Core record (oai_dc), XML",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def material_oai_dc(
    material_id: str, session: ReadSession, user: OptionalUser, runtime: RuntimeDep
) -> Response:
    record = oai_dc_for(material_service.get(session, user, material_id), base_url=runtime.settings.base_url)
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + record
    return Response(body.encode("utf-8"), media_type="application/xml; charset=utf-8")
