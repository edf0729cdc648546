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
    date_published: str | None = None,
    thumbnail_url: str | None = None,
    publisher: Mapping[str, Any] | None = None,
    media: Iterable[MediaInfo | Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """schema.org ``LearningResource`` JSON-LD for one material.

    Args:
        metadata: a validated metadata document.
        id: the material's identifier (kept as ``identifier``).
        url: the material's public landing page (``@id`` and ``url``).
        date_created: ISO 8601 date (``YYYY-MM-DD``), when known.
        files: the material's files (see :class:`FileInfo`), mapped to ``encoding``.
        date_published: ISO 8601 date of the approval that made it public.
        thumbnail_url: a picture of the material.
        publisher: ``{"name": ..., "url": ...}`` of the organisation publishing it.
        media: the video and audio renditions (see :class:`MediaInfo`), as ``associatedMedia``.

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
    if date_published:
        doc["datePublished"] = date_published
    about = _about(metadata)
    if about:
        doc["about"] = about
    if thumbnail_url:
        doc["thumbnailUrl"] = thumbnail_url
    if publisher:
        doc["publisher"] = {"@type": "Organization", **publisher}

    encodings = [_media_object(f) for f in files]
    if encodings:
        doc["encoding"] = encodings
    associated = [_rendition(m) for m in media]
    if associated:
        doc["associatedMedia"] = associated
    return doc


def _about(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the material is about: its subjects (curriculum terms), then its chapter and lesson."""
    terms = [
        {
            "@type": "DefinedTerm",
            "name": _label("subject", code),
            "termCode": code,
            "inDefinedTermSet": CURRICULUM_FRAMEWORK,
        }
        for code in metadata.get("subjects", [])
    ]
    for key in ("chapter", "lesson"):
        value = metadata.get(key)
        name = value.get("title") or value.get("name") if isinstance(value, Mapping) else value
        if name:
            terms.append({"@type": "DefinedTerm", "name": str(name)})
    return terms


class MediaInfo(TypedDict, total=False):
    """A rendition of a video or audio file (what a player can stream)."""

    url: str
    media_type: str
    size: int
    height: int
    width: int
    duration: float
    label: str


def _rendition(media: Mapping[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "@type": "VideoObject" if str(media.get("media_type", "")).startswith("video/") else "AudioObject"
    }
    if media.get("url"):
        obj["contentUrl"] = media["url"]
    if media.get("label"):
        obj["name"] = media["label"]
    if media.get("media_type"):
        obj["encodingFormat"] = media["media_type"]
    if isinstance(media.get("size"), int):
        obj["contentSize"] = f"{media['size']} B"
    if media.get("height"):
        obj["height"] = {"@type": "QuantitativeValue", "value": media["height"], "unitCode": "E37"}
    if media.get("width"):
        obj["width"] = {"@type": "QuantitativeValue", "value": media["width"], "unitCode": "E37"}
    if media.get("duration"):
        obj["duration"] = f"PT{round(float(media['duration']))}S"
    return obj


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
    publisher: str | None = None,
) -> str:
    """A Dublin Core ``oai_dc:dc`` record (the ``metadata`` part of an OAI-PMH record).

    Args:
        metadata: a validated metadata document.
        id: the material's identifier (an ``info:``/URN form is up to the OAI layer).
        url: the material's public landing page, given as ``dc:identifier``.
        date: ISO 8601 date for ``dc:date``.
        files: the material's files; their media types become ``dc:format``.
        publisher: the contributing organisation's name (``dc:publisher``).

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
    if publisher:
        add("publisher", publisher)

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


# ---------------------------------------------------------------------------------------------
# IEEE LOM (1484.12.3 XML binding): OAI-PMH ``oai_lom`` and Common Cartridge metadata

LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
LOM_SCHEMA = "http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd"
LOM_SCHEMA_LOCATION = f"{LOM_NS} {LOM_SCHEMA}"
LOM_SOURCE = "LOMv1.0"

# LOM 5.2 learningResourceType values for our resource types (LOM has a closed list).
LOM_RESOURCE_TYPES: dict[str, str] = {
    "bai-giang-dien-tu": "lecture",
    "video-bai-giang": "lecture",
    "bai-trinh-chieu": "slide",
    "ke-hoach-bai-day": "narrative text",
    "phieu-hoc-tap": "exercise",
    "de-kiem-tra": "exam",
    "sach-giao-khoa": "narrative text",
    "tai-lieu-tham-khao": "narrative text",
    "hoc-lieu-am-thanh": "lecture",
    "hinh-anh": "figure",
    "mo-phong": "simulation",
}
LOM_ROLES = {"hoc-sinh": "learner", "giao-vien": "teacher", "phu-huynh": "learner"}


def _vcard(name: str) -> str:
    safe = name.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return f"BEGIN:VCARD\nVERSION:3.0\nFN:{safe}\nEND:VCARD"


def to_lom(
    metadata: Mapping[str, Any],
    *,
    id: str,
    url: str,
    date: str | None = None,
    files: Iterable[FileInfo | Mapping[str, Any]] = (),
    publisher: str | None = None,
    namespace: str = LOM_NS,
    schema_location: str | None = LOM_SCHEMA_LOCATION,
) -> ET.Element:
    """An IEEE LOM ``lom`` element for one material.

    Args:
        metadata: a validated metadata document.
        id: the material's identifier (``general/identifier``, catalog ``URI``).
        url: the public landing page (``technical/location`` first, then the files).
        date: ISO 8601 date of publication (``lifeCycle/contribute`` of the publisher).
        files: the material's files: formats, total size and download locations.
        publisher: the publishing organisation's name.
        namespace: the LOM namespace; Common Cartridge uses its own profile's namespaces.
        schema_location: ``xsi:schemaLocation``; None leaves it out (embedded in a manifest).
    """

    def el(parent: ET.Element, name: str, text: Any = None) -> ET.Element:
        node = ET.SubElement(parent, f"{{{namespace}}}{name}")
        if text is not None:
            node.text = _xml_safe(text)
        return node

    def langstring(parent: ET.Element, name: str, text: Any, lang: str = "vi") -> None:
        if str(text or "").strip():
            string = el(el(parent, name), "string", text)
            string.set("language", lang)

    def vocab(parent: ET.Element, name: str, value: str) -> None:
        node = el(parent, name)
        el(node, "source", LOM_SOURCE)
        el(node, "value", value)

    attrs = {f"{{{XSI_NS}}}schemaLocation": schema_location} if schema_location else {}
    root = ET.Element(f"{{{namespace}}}lom", attrs)
    language = metadata.get("language") or "vi"

    general = el(root, "general")
    for entry, catalog in ((id, "URI"), (url, "URL")):
        ident = el(general, "identifier")
        el(ident, "catalog", catalog)
        el(ident, "entry", entry)
    langstring(general, "title", metadata.get("title", ""), language)
    el(general, "language", language)
    langstring(general, "description", metadata.get("description", ""), language)
    for keyword in _unique(list(metadata.get("keywords", []))):
        langstring(general, "keyword", keyword, language)

    authors = list(metadata.get("authors", []))
    if authors or publisher:
        life = el(root, "lifeCycle")
        for author in authors:
            contribute = el(life, "contribute")
            role = author.get("role", "author")
            vocab(contribute, "role", role if role in ("author", "editor") else "unknown")
            el(contribute, "entity", _vcard(str(author.get("name", ""))))
        if publisher:
            contribute = el(life, "contribute")
            vocab(contribute, "role", "publisher")
            el(contribute, "entity", _vcard(publisher))
            if date:
                el(el(contribute, "date"), "dateTime", date)

    meta = el(root, "metaMetadata")
    el(meta, "metadataSchema", "LOMv1.0")
    el(meta, "language", language)

    files = list(files)
    technical = el(root, "technical")
    for media_type in _unique(str(f.get("media_type", "")) for f in files):
        el(technical, "format", media_type)
    sizes = [f["size"] for f in files if isinstance(f.get("size"), int)]
    if sizes:
        el(technical, "size", sum(sizes))
    el(technical, "location", url)
    for f in files:
        if f.get("url"):
            el(technical, "location", f["url"])

    educational = el(root, "educational")
    if metadata.get("type"):
        vocab(educational, "learningResourceType", LOM_RESOURCE_TYPES.get(metadata["type"], "narrative text"))
    for role in _unique(LOM_ROLES.get(a, "learner") for a in metadata.get("audience", [])):
        vocab(educational, "intendedEndUserRole", role)
    vocab(educational, "context", "school")
    grades = list(metadata.get("grades", []))
    if grades:
        # Vietnamese grade n is for children of about n + 5 years.
        low, high = min(grades) + 5, max(grades) + 6
        langstring(educational, "typicalAgeRange", f"{low}-{high}", "x-none")
    el(educational, "language", language)

    if metadata.get("license"):
        rights = el(root, "rights")
        vocab(rights, "cost", "no")
        vocab(rights, "copyrightAndOtherRestrictions", "yes")
        text = _license_url(metadata["license"]) or _label("license", metadata["license"])
        langstring(rights, "description", text, language)

    def taxonomy(purpose: str, entries: list[tuple[str, str]]) -> None:
        if not entries:
            return
        classification = el(root, "classification")
        vocab(classification, "purpose", purpose)
        for code, label in entries:  # one path per term: taxons inside a path are a hierarchy
            path = el(classification, "taxonPath")
            langstring(path, "source", CURRICULUM_FRAMEWORK)
            taxon = el(path, "taxon")
            el(taxon, "id", code)
            langstring(taxon, "entry", label)

    taxonomy("discipline", [(str(c), _label("subject", c)) for c in metadata.get("subjects", [])])
    taxonomy("educational level", [(str(g), _grade_label(g)) for g in grades])
    return root
