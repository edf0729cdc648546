"""EPUB covers: the book's cover image as thumbnails.

The cover is the manifest item with ``properties="cover-image"`` (EPUB 3) or the one named by
``<meta name="cover" content="ID">`` (EPUB 2). Only raster images (JPEG, PNG, GIF, WebP) under a
size cap are taken; the decode itself runs in the image worker with its usual limits.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from ingest.processors.images import image_thumbnails
from ingest.processors.outputs import DerivativeOut

MAX_COVER_BYTES = 10 * 1024 * 1024
RASTER = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}
_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "opf": "http://www.idpf.org/2007/opf"}


def _parse(data: bytes) -> ElementTree.Element | None:
    # EPUB XML comes from the uploader: refuse DTDs (entity expansion) instead of parsing them.
    if b"<!DOCTYPE" in data[:2048] or b"<!ENTITY" in data:
        return None
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None


def cover_path(zf: zipfile.ZipFile) -> tuple[str, str] | None:
    """The archive path and media type of the cover image, or None."""
    try:
        container = _parse(zf.read("META-INF/container.xml"))
    except KeyError:
        return None
    rootfile = container.find(".//c:rootfile", _NS) if container is not None else None
    opf_name = rootfile.get("full-path") if rootfile is not None else None
    if not opf_name:
        return None
    try:
        opf = _parse(zf.read(opf_name))
    except KeyError:
        return None
    if opf is None:
        return None
    items = {i.get("id"): i for i in opf.iterfind(".//opf:manifest/opf:item", _NS)}
    chosen = next((i for i in items.values() if "cover-image" in (i.get("properties") or "").split()), None)
    if chosen is None:
        meta = next(
            (m for m in opf.iterfind(".//opf:metadata/opf:meta", _NS) if m.get("name") == "cover"), None
        )
        chosen = items.get(meta.get("content")) if meta is not None else None
    if chosen is None or chosen.get("media-type") not in RASTER or not chosen.get("href"):
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(opf_name), chosen.get("href", "")))
    if path.startswith("../") or path.startswith("/"):
        return None
    return path, str(chosen.get("media-type"))


def epub_cover_thumbnails(path: str | Path, out_dir: str | Path) -> list[DerivativeOut]:
    """Thumbnails of an EPUB's cover; [] when it has none (the caller uses a placeholder)."""
    try:
        with zipfile.ZipFile(path) as zf:
            found = cover_path(zf)
            if found is None:
                return []
            name, media_type = found
            info = zf.getinfo(name)
            if info.file_size > MAX_COVER_BYTES:
                return []
            cover = Path(out_dir) / f"cover{RASTER[media_type]}"
            cover.write_bytes(zf.read(info))
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return []
    return image_thumbnails(cover, out_dir)
