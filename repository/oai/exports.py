"""A material's public metadata in the standard formats, with absolute links.

The API's ``/lrmi`` and ``/oai_dc`` routes, the OAI-PMH provider and the portal (JSON-LD in the
material page's ``<script type="application/ld+json">``) all call these, so every consumer sees
the same record. Callers load the material with its ``files`` and apply visibility first
(``material.get`` for a person, the OAI store for harvesters).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from repository.crosswalks import FileInfo, MediaInfo, to_lom, to_lrmi, to_oai_dc
from repository.material.store import MaterialStore
from repository.models import Material, Organisation, WorkflowState


def landing_url(base_url: str, material_id: str) -> str:
    """The material's public page in the portal (the URL other catalogues link to)."""
    return f"{base_url.rstrip('/')}/m/{material_id}"


def file_infos(base_url: str, material: Material) -> list[FileInfo]:
    """The material's original files as the crosswalks describe them (download URLs absolute)."""
    base = base_url.rstrip("/")
    return [
        FileInfo(
            url=f"{base}/api/v1/materials/{material.id}/files/{f.id}",
            filename=f.filename,
            media_type=f.media_type,
            size=f.size,
            sha256=f.sha256,
        )
        for f in material.files
    ]


PUBLISHER = "Hoclieu - Kho học liệu số"


def organisation_url(base_url: str, slug: str) -> str:
    """The organisation's public page in the portal."""
    return f"{base_url.rstrip('/')}/o/{slug}"


def organisation_of(material: Material, session: Session | None = None) -> Organisation | None:
    """The material's contributing organisation: loaded with it by the material and OAI stores,
    else looked up with ``session``."""
    if material.organisation_id is None:
        return None
    loaded = inspect(material).attrs.organisation.loaded_value
    if isinstance(loaded, Organisation):
        return loaded
    return session.get(Organisation, material.organisation_id) if session is not None else None


def publisher_of(material: Material, base_url: str, session: Session | None = None) -> dict[str, str]:
    """Who publishes the material: its contributing organisation, else Hoclieu itself."""
    org = organisation_of(material, session)
    if org is not None:
        return {"name": org.name, "url": organisation_url(base_url, org.slug)}
    return {"name": PUBLISHER, "url": base_url.rstrip("/") + "/"}


def _derivatives(file: Any) -> list[Any]:
    # Loaded by the material and OAI stores; a caller that did not load them gets none.
    loaded = inspect(file).attrs.derivatives.loaded_value
    return list(loaded) if isinstance(loaded, list) else []


def derivative_url(base_url: str, material_id: str, file_id: str, derivative_id: str) -> str:
    return (
        f"{base_url.rstrip('/')}/api/v1/materials/{material_id}/files/{file_id}/derivatives/{derivative_id}"
    )


def thumbnail_url(base_url: str, material: Material) -> str | None:
    for f in material.files:
        for label in ("large", "small"):
            for d in _derivatives(f):
                if d.kind == "thumbnail" and d.label == label:
                    return derivative_url(base_url, material.id, f.id, d.id)
    return None


def media_infos(base_url: str, material: Material) -> list[MediaInfo]:
    """The video and audio renditions (what players stream), lowest first."""
    found: list[MediaInfo] = []
    for f in material.files:
        renditions = [d for d in _derivatives(f) if d.kind == "rendition"]
        for d in sorted(renditions, key=lambda d: (d.height or 0, d.size)):
            info = MediaInfo(
                url=derivative_url(base_url, material.id, f.id, d.id),
                media_type=d.media_type,
                size=d.size,
                label=d.label,
            )
            if d.height:
                info["height"] = d.height
            if d.width:
                info["width"] = d.width
            if d.duration:
                info["duration"] = d.duration
            found.append(info)
    return found


def published_on(session: Session, material: Material) -> str | None:
    """The date the live version was approved (``YYYY-MM-DD``), for a public material."""
    if material.state != WorkflowState.approved:
        return None
    live = next(
        (
            v
            for v in MaterialStore.from_session(session).versions(material.id)
            if v.number == material.version
        ),
        None,
    )
    decided = live.decided_at if live is not None else None
    return decided.strftime("%Y-%m-%d") if decided is not None else None


def lrmi_for(material: Material, *, base_url: str, session: Session | None = None) -> dict[str, Any]:
    """schema.org ``LearningResource`` JSON-LD of a material (files and derivatives loaded).

    Args:
        material: a material the caller may show (visibility already applied).
        base_url: the site's public base URL (``settings.base_url``).
        session: to look up the approval date (``datePublished``); without one it is left out.
    """
    return to_lrmi(
        material.meta,
        id=f"urn:uuid:{material.id}",
        url=landing_url(base_url, material.id),
        date_created=material.created_at.strftime("%Y-%m-%d"),
        files=file_infos(base_url, material),
        date_published=published_on(session, material) if session is not None else None,
        thumbnail_url=thumbnail_url(base_url, material),
        publisher=publisher_of(material, base_url, session),
        media=media_infos(base_url, material),
    )


def lom_for(material: Material, *, base_url: str, session: Session | None = None) -> str:
    """The IEEE LOM record of a material as an XML string without declaration (``oai_lom``)."""
    return ET.tostring(
        to_lom(
            material.meta,
            id=f"urn:uuid:{material.id}",
            url=landing_url(base_url, material.id),
            date=published_on(session, material) if session is not None else None,
            files=file_infos(base_url, material),
            publisher=publisher_of(material, base_url, session)["name"],
        ),
        encoding="unicode",
    )


def oai_dc_for(material: Material, *, base_url: str, session: Session | None = None) -> str:
    """The ``oai_dc:dc`` record of a material as an XML string without declaration (files must be loaded).

    ``dc:publisher`` is the contributing organisation, when there is one.
    """
    org = organisation_of(material, session)
    return to_oai_dc(
        material.meta,
        id=f"urn:uuid:{material.id}",
        url=landing_url(base_url, material.id),
        date=material.created_at.strftime("%Y-%m-%d"),
        files=file_infos(base_url, material),
        publisher=org.name if org is not None else None,
    )
