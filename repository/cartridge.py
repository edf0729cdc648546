"""IMS Common Cartridge 1.3 export: a lesson, a chapter or a teacher's selection as an ``.imscc``.

The package is a zip with ``imsmanifest.xml`` at its root (IMS CC 1.3 profile of IMS Content
Packaging 1.1): cartridge metadata as LOM (``lomimscc``), one organisation
(``rooted-hierarchy``) grouping the materials by lesson, and one resource per material:

* ``links`` (default): an IMS Web Link (``imswl_xmlv1p3``) to the material's public page, which
  LMSs show as a link; nothing else to download.
* ``embed``: the material's original files as ``webcontent`` (the LMS stores its own copy), plus
  the web link.

Every resource carries the material's IEEE LOM record in the CC 1.3 resource-metadata namespace.
The IMS XSDs could not be obtained on this project's machines, so the package is checked
structurally by the tests (namespaces, version, identifiers, references, files present).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Literal

from sqlalchemy.orm import Session

from repository.crosswalks import XSI_NS, to_lom
from repository.errors import NotFound, PayloadTooLarge, ValidationFailed
from repository.material.service import material as material_service
from repository.material.store import MaterialStore
from repository.models import Material, User
from repository.oai.exports import PUBLISHER, file_infos, landing_url
from repository.storage import BlobStore

CP_NS = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
LOM_MANIFEST_NS = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest"
LOM_RESOURCE_NS = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/resource"
WEBLINK_NS = "http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3"
SCHEMA_LOCATION = " ".join(
    (
        CP_NS,
        "http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd",
        LOM_MANIFEST_NS,
        "http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd",
        LOM_RESOURCE_NS,
        "http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lomresource_v1p0.xsd",
    )
)
WEBLINK_SCHEMA_LOCATION = f"{WEBLINK_NS} http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imswl_v1p3.xsd"
MEDIA_TYPE = "application/vnd.ims.imsccv1p3"
MAX_MATERIALS = 200
MAX_EMBEDDED_BYTES = 1024**3  # larger selections are exported as links
NO_LESSON = "Học liệu"

for prefix, ns in (("lomimscc", LOM_MANIFEST_NS), ("lom", LOM_RESOURCE_NS)):
    ET.register_namespace(prefix, ns)

Mode = Literal["links", "embed"]


@dataclass(frozen=True)
class Selection:
    """What to export: explicit material ids, or a chapter (and lesson) of the curriculum."""

    material_ids: Sequence[str] = ()
    chapter: str | None = None
    lesson: str | None = None
    subject: str | None = None
    grade: int | None = None


def select_materials(session: Session, actor: User | None, selection: Selection) -> list[Material]:
    """The materials of a selection, those ``actor`` may see (public ones for a chapter/lesson).

    Raises:
        ValidationFailed: nothing selected, or too much.
        NotFound: an id that does not exist for ``actor``; a chapter/lesson with no public material.
    """
    texts = [
        *selection.material_ids,
        selection.chapter or "",
        selection.lesson or "",
        selection.subject or "",
    ]
    if any("\x00" in t for t in texts):
        raise ValidationFailed("the selection contains a NUL character")
    if selection.material_ids:
        ids = list(dict.fromkeys(selection.material_ids))
        if len(ids) > MAX_MATERIALS:
            raise ValidationFailed(f"export at most {MAX_MATERIALS} materials at once")
        return [material_service.get(session, actor, i) for i in ids]
    if not selection.chapter and not selection.lesson:
        raise ValidationFailed("choose materials (material=...) or a chapter / lesson to export")
    rows = MaterialStore.from_session(session).public_by_heading(
        chapter=selection.chapter, lesson=selection.lesson, limit=MAX_MATERIALS * 5
    )
    found = [
        material_service.restrict_files(session, None, m)
        for m in rows
        if (selection.subject is None or selection.subject in m.meta.get("subjects", []))
        and (selection.grade is None or selection.grade in m.meta.get("grades", []))
    ][:MAX_MATERIALS]
    if not found:
        raise NotFound("no public material in this chapter / lesson")
    return found


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\-]+", "-", name, flags=re.UNICODE).strip("-.")
    return cleaned[:120] or "file"


def build(
    materials: Sequence[Material],
    blobs: BlobStore,
    out: IO[bytes],
    *,
    title: str,
    base_url: str,
    mode: Mode = "links",
) -> None:
    """Write the ``.imscc`` zip of ``materials`` to ``out``.

    Raises:
        PayloadTooLarge: ``embed`` for more than :data:`MAX_EMBEDDED_BYTES` of files.
    """
    if mode == "embed":
        total = sum(f.size for m in materials for f in m.files)
        if total > MAX_EMBEDDED_BYTES:
            raise PayloadTooLarge(
                f"the files add up to {total} bytes; embed at most {MAX_EMBEDDED_BYTES}, or export links"
            )
    manifest = ET.Element(
        f"{{{CP_NS}}}manifest",
        {"identifier": "M_hoclieu", f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION},
    )
    metadata = ET.SubElement(manifest, f"{{{CP_NS}}}metadata")
    ET.SubElement(metadata, f"{{{CP_NS}}}schema").text = "IMS Common Cartridge"
    ET.SubElement(metadata, f"{{{CP_NS}}}schemaversion").text = "1.3.0"
    cartridge_lom = ET.SubElement(metadata, f"{{{LOM_MANIFEST_NS}}}lom")
    general = ET.SubElement(cartridge_lom, f"{{{LOM_MANIFEST_NS}}}general")
    string = ET.SubElement(
        ET.SubElement(general, f"{{{LOM_MANIFEST_NS}}}title"), f"{{{LOM_MANIFEST_NS}}}string"
    )
    string.text, string.attrib["language"] = title, "vi"
    ET.SubElement(general, f"{{{LOM_MANIFEST_NS}}}language").text = "vi"

    organizations = ET.SubElement(manifest, f"{{{CP_NS}}}organizations")
    organization = ET.SubElement(
        organizations, f"{{{CP_NS}}}organization", {"identifier": "O_1", "structure": "rooted-hierarchy"}
    )
    root = ET.SubElement(organization, f"{{{CP_NS}}}item", {"identifier": "I_root"})
    resources = ET.SubElement(manifest, f"{{{CP_NS}}}resources")

    lessons: dict[str, ET.Element] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, m in enumerate(materials, start=1):
            lesson = str(m.meta.get("lesson") or NO_LESSON)
            group = lessons.get(lesson)
            if group is None:
                group = ET.SubElement(
                    root, f"{{{CP_NS}}}item", {"identifier": f"I_lesson_{len(lessons) + 1}"}
                )
                ET.SubElement(group, f"{{{CP_NS}}}title").text = lesson
                lessons[lesson] = group
            url = landing_url(base_url, m.id)
            lom = to_lom(
                m.meta,
                id=f"urn:uuid:{m.id}",
                url=url,
                files=file_infos(base_url, m),
                publisher=PUBLISHER,
                namespace=LOM_RESOURCE_NS,
                schema_location=None,
            )
            link_id = f"R_{n}_link"
            link_href = f"links/{link_id}.xml"
            zf.writestr(link_href, _weblink(m.title, url))
            link = ET.SubElement(
                resources, f"{{{CP_NS}}}resource", {"identifier": link_id, "type": "imswl_xmlv1p3"}
            )
            ET.SubElement(link, f"{{{CP_NS}}}metadata").append(lom)
            ET.SubElement(link, f"{{{CP_NS}}}file", {"href": link_href})
            item = ET.SubElement(
                group, f"{{{CP_NS}}}item", {"identifier": f"I_{n}", "identifierref": link_id}
            )
            ET.SubElement(item, f"{{{CP_NS}}}title").text = m.title
            if mode == "embed" and m.files:
                folder = f"materials/{m.id}"
                hrefs = []
                for f in m.files:
                    href = f"{folder}/{f.position}-{_safe_name(f.filename)}"
                    with blobs.open(f.storage_key) as src, zf.open(href, "w", force_zip64=True) as dst:
                        shutil.copyfileobj(src, dst, 1024 * 1024)
                    hrefs.append(href)
                files_id = f"R_{n}_files"
                content = ET.SubElement(
                    resources,
                    f"{{{CP_NS}}}resource",
                    {"identifier": files_id, "type": "webcontent", "href": hrefs[0]},
                )
                for href in hrefs:
                    ET.SubElement(content, f"{{{CP_NS}}}file", {"href": href})
                files_item = ET.SubElement(
                    group, f"{{{CP_NS}}}item", {"identifier": f"I_{n}_files", "identifierref": files_id}
                )
                ET.SubElement(files_item, f"{{{CP_NS}}}title").text = f"{m.title} (tệp)"
        ET.indent(manifest)
        zf.writestr("imsmanifest.xml", ET.tostring(manifest, encoding="utf-8", xml_declaration=True))


def _weblink(title: str, url: str) -> bytes:
    link = ET.Element(f"{{{WEBLINK_NS}}}webLink", {f"{{{XSI_NS}}}schemaLocation": WEBLINK_SCHEMA_LOCATION})
    ET.SubElement(link, f"{{{WEBLINK_NS}}}title").text = title
    ET.SubElement(link, f"{{{WEBLINK_NS}}}url", {"href": url, "target": "_blank"})
    data: bytes = ET.tostring(link, encoding="utf-8", xml_declaration=True)
    return data


def spooled() -> IO[bytes]:
    """A temporary file for a package: in memory up to 8 MB, then on disk."""
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)


__all__ = ["MEDIA_TYPE", "Selection", "build", "select_materials", "spooled"]
