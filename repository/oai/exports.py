"""A material's public metadata in the standard formats, with absolute links.

The API's ``/lrmi`` and ``/oai_dc`` routes, the OAI-PMH provider and the portal (JSON-LD in the
material page's ``<script type="application/ld+json">``) all call these, so every consumer sees
the same record. Callers load the material with its ``files`` and apply visibility first
(``material.get`` for a person, the OAI store for harvesters).
"""

from __future__ import annotations

from typing import Any

from repository.crosswalks import FileInfo, to_lrmi, to_oai_dc
from repository.models import Material


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


def _iso_seconds(material: Material) -> str:
    return material.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def lrmi_for(material: Material, *, base_url: str) -> dict[str, Any]:
    """schema.org ``LearningResource`` JSON-LD of a material (files must be loaded).

    Args:
        material: a material the caller may show (visibility already applied).
        base_url: the site's public base URL (``settings.base_url``).
    """
    return to_lrmi(
        material.meta,
        id=f"urn:uuid:{material.id}",
        url=landing_url(base_url, material.id),
        date_created=_iso_seconds(material),
        files=file_infos(base_url, material),
    )


def oai_dc_for(material: Material, *, base_url: str) -> str:
    """The ``oai_dc:dc`` record of a material as an XML string without declaration (files must be loaded)."""
    return to_oai_dc(
        material.meta,
        id=f"urn:uuid:{material.id}",
        url=landing_url(base_url, material.id),
        date=material.created_at.strftime("%Y-%m-%d"),
        files=file_infos(base_url, material),
    )
