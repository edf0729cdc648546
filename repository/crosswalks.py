"""Crosswalks from Hoclieu metadata to the standards other systems read.

* :func:`to_lrmi` — schema.org ``LearningResource`` JSON-LD with LRMI properties, for embedding in
  portal pages and for harvesters that speak schema.org.
* :func:`to_oai_dc` — a Dublin Core ``oai_dc:dc`` record, the format every OAI-PMH harvester must
  accept.

Both take a *validated* metadata document (see :mod:`repository.metadata`); codes become the
Vietnamese labels of the vocabularies, because that is what people searching other catalogues
type. An unknown code (an old document, say) is passed through as is rather than failing.

``files`` describes the material's downloadable files::

    {"url": "https://.../files/<id>", "filename": "bai-3.pptx", "media_type": "application/...",
     "size": 123456, "sha256": "ab12..."}

Every key is optional; missing ones are simply left out.
"""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from repository.text import nfc
from repository.vocabularies import get_vocabulary

CURRICULUM_FRAMEWORK = "Chương trình GDPT 2018"
SCHEMA_ORG_CONTEXT = "https://schema.org/"

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_SCHEMA_LOCATION = f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

# ElementTree keeps prefixes in one global table; registering the conventional ones is idempotent
# and makes the output read like every other oai_dc record.
ET.register_namespace("oai_dc", OAI_DC_NS)
ET.register_namespace("dc", DC_NS)
ET.register_namespace("xsi", XSI_NS)

# DCMI Type Vocabulary terms (https://www.dublincore.org/specifications/dublin-core/dcmi-type-vocabulary/)
# per resource type: generic harvesters facet on these, not on our own labels.
DCMI_TYPES: dict[str, str] = {
    "bai-giang-dien-tu": "InteractiveResource",
    "video-bai-giang": "MovingImage",
    "bai-trinh-chieu": "Text",
    "ke-hoach-bai-day": "Text",
    "phieu-hoc-tap": "Text",
    "de-kiem-tra": "Text",
    "sach-giao-khoa": "Text",
    "tai-lieu-tham-khao": "Text",
    "hoc-lieu-am-thanh": "Sound",
    "hinh-anh": "StillImage",
    "mo-phong": "InteractiveResource",
}

# LRMI's educationalRole values are English words (https://www.dublincore.org/specifications/lrmi/).
EDUCATIONAL_ROLES: dict[str, str] = {"hoc-sinh": "student", "giao-vien": "teacher", "phu-huynh": "parent"}


class FileInfo(TypedDict, total=False):
    """One downloadable file of a material, as the crosswalks need it."""

    url: str
    filename: str
    media_type: str
    size: int
    sha256: str


def _label(vocabulary: str, code: Any, lang: str = "vi") -> str:
    term = get_vocabulary(vocabulary).get(code) if isinstance(code, str) else None
    return term.label(lang) if term is not None else str(code)


def _grade_label(grade: Any) -> str:
    return _label("grade", str(grade))


def _license_url(code: Any) -> str | None:
    term = get_vocabulary("license").get(code) if isinstance(code, str) else None
    return term.url if term is not None else None


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


# ---------------------------------------------------------------------------------------------
# schema.org / LRMI


def to_lrmi(
    metadata: Mapping[str, Any],
    *,
    id: str,  # shadows the builtin on purpose: the public keyword callers use
    url: str,
    date_created: str | None = None,
    files: Iterable[FileInfo | Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """schema.org ``LearningResource`` JSON-LD for one material.

    Args:
        metadata: a validated metadata document.
        id: the material's identifier (kept as ``identifier``).
        url: the material's public landing page (``@id`` and ``url``).
        date_created: ISO 8601 date or datetime, when known.
        files: the material's files (see :class:`FileInfo`), mapped to ``encoding``.

    Returns:
        A JSON-serialisable dict.
    """
    doc: dict[str, Any] = {
        "@context": SCHEMA_ORG_CONTEXT,
        "@type": "LearningResource",
        "@id": url,
        "url": url,
        "identifier": id,
        "name": metadata.get("title", ""),
    }
    if metadata.get("description"):
        doc["description"] = metadata["description"]

    grades = list(metadata.get("grades", []))
    level = metadata.get("level")
    levels = _unique([_label("level", level)] if level else []) + [_grade_label(g) for g in grades]
    if levels:
        doc["educationalLevel"] = levels

    alignments: list[dict[str, Any]] = []
    if level:
        alignments.append(_alignment("educationalLevel", _label("level", level)))
    alignments += [_alignment("educationalLevel", _grade_label(g)) for g in grades]
    subjects = metadata.get("subjects", [])
    alignments += [_alignment("educationalSubject", _label("subject", s)) for s in subjects]
    if alignments:
        doc["educationalAlignment"] = alignments

    if metadata.get("type"):
        doc["learningResourceType"] = _label("resource-type", metadata["type"])
    if metadata.get("outcomes"):
        doc["teaches"] = list(metadata["outcomes"])
    if metadata.get("language"):
        doc["inLanguage"] = metadata["language"]

    license_code = metadata.get("license")
    if license_code:
        license_url = _license_url(license_code)
        if license_url:
            doc["license"] = license_url
        else:
            # No licence URL ("all rights reserved"): say so in words rather than invent a URL.
            doc["copyrightNotice"] = _label("license", license_code)

    if metadata.get("audience"):
        doc["audience"] = [
            {"@type": "EducationalAudience", "educationalRole": EDUCATIONAL_ROLES.get(code, code)}
            for code in metadata["audience"]
        ]

    people: dict[str, list[dict[str, Any]]] = {}
    for author in metadata.get("authors", []):
        role = author.get("role", "author")
        prop = role if role in ("author", "editor") else "contributor"
        person: dict[str, Any] = {"@type": "Person", "name": author.get("name", "")}
        if author.get("affiliation"):
            person["affiliation"] = {"@type": "Organization", "name": author["affiliation"]}
        if prop == "contributor" and role != "contributor":
            # schema.org has no per-role contributor property; keep the role as a description.
            person["description"] = role
        people.setdefault(prop, []).append(person)
    doc.update(people)

    if metadata.get("keywords"):
        doc["keywords"] = list(metadata["keywords"])
    if metadata.get("series"):
        doc["isPartOf"] = {"@type": "BookSeries", "name": _label("series", metadata["series"])}
    if date_created:
        doc["dateCreated"] = date_created

    encodings = [_media_object(f) for f in files]
    if encodings:
        doc["encoding"] = encodings
    return doc


def _alignment(kind: str, target: str) -> dict[str, Any]:
    return {
        "@type": "AlignmentObject",
        "alignmentType": kind,
        "educationalFramework": CURRICULUM_FRAMEWORK,
        "targetName": target,
    }


def _media_object(file: Mapping[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = {"@type": "MediaObject"}
    if file.get("url"):
        obj["contentUrl"] = file["url"]
    if file.get("filename"):
        obj["name"] = nfc(str(file["filename"]))
    if file.get("media_type"):
        obj["encodingFormat"] = file["media_type"]
    if isinstance(file.get("size"), int):
        # schema.org contentSize is text; bytes with an explicit unit leave no doubt.
        obj["contentSize"] = f"{file['size']} B"
    if file.get("sha256"):
        obj["sha256"] = file["sha256"]
    return obj


# ---------------------------------------------------------------------------------------------
# Dublin Core (oai_dc)


def _xml_safe(text: Any) -> str:
    """Text XML 1.0 can carry: ElementTree escapes markup but not illegal control characters."""
    return "".join(
        ch
        for ch in nfc(str(text))
        if ch in "\t\n\r" or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in "\ufffe\uffff")
    )


def to_oai_dc(
    metadata: Mapping[str, Any],
    *,
    id: str,  # same keyword as to_lrmi
    url: str,
    date: str | None = None,
    files: Iterable[FileInfo | Mapping[str, Any]] = (),
) -> str:
    """A Dublin Core ``oai_dc:dc`` record (the ``metadata`` part of an OAI-PMH record).

    Args:
        metadata: a validated metadata document.
        id: the material's identifier (an ``info:``/URN form is up to the OAI layer).
        url: the material's public landing page, given as ``dc:identifier``.
        date: ISO 8601 date for ``dc:date``.
        files: the material's files; their media types become ``dc:format``.

    Returns:
        The XML element serialised as a Unicode string (no XML declaration).
    """
    root = ET.Element(
        f"{{{OAI_DC_NS}}}dc",
        {f"{{{XSI_NS}}}schemaLocation": OAI_DC_SCHEMA_LOCATION},
    )

    def add(name: str, value: Any) -> None:
        text = _xml_safe(value)
        if text.strip():
            ET.SubElement(root, f"{{{DC_NS}}}{name}").text = text

    add("title", metadata.get("title", ""))
    for author in metadata.get("authors", []):
        role = author.get("role", "author")
        add("creator" if role == "author" else "contributor", author.get("name", ""))

    subjects = [_label("subject", s) for s in metadata.get("subjects", [])]
    if metadata.get("level"):
        subjects.append(_label("level", metadata["level"]))
    subjects += [_grade_label(g) for g in metadata.get("grades", [])]
    subjects += list(metadata.get("keywords", []))
    for subject in _unique(subjects):
        add("subject", subject)

    add("description", metadata.get("description", ""))
    for outcome in metadata.get("outcomes", []):
        add("description", f"Yêu cầu cần đạt: {outcome}")

    if metadata.get("type"):
        add("type", DCMI_TYPES.get(metadata["type"], "Text"))
        add("type", _label("resource-type", metadata["type"]))
    for media_type in _unique(str(f.get("media_type", "")) for f in files):
        add("format", media_type)
    add("identifier", url)
    add("identifier", id)
    if metadata.get("language"):
        add("language", metadata["language"])
    if metadata.get("series"):
        add("relation", _label("series", metadata["series"]))
    if metadata.get("license"):
        add("rights", _license_url(metadata["license"]) or _label("license", metadata["license"]))
    if date:
        add("date", date)

    return ET.tostring(root, encoding="unicode")
