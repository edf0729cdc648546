"""A first, cheap guess of a file's media type at upload time, from its leading bytes.

Ingest refines it with full content detection (``ingest.processors.detect``) and records the
result; both the declared and the detected types are kept.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import filetype

_EXTRA_TYPES = {
    ".md": "text/markdown",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".m4a": "audio/mp4",
    ".webp": "image/webp",
    ".epub": "application/epub+zip",
}


def guess_from_name(filename: str) -> str | None:
    ext = Path(filename).suffix.lower()
    return _EXTRA_TYPES.get(ext) or mimetypes.guess_type(filename)[0]


def sniff(path: Path, filename: str) -> str:
    """Media type from content; falls back to the name for text and containers it can't tell."""
    kind = filetype.guess(str(path))
    by_name = guess_from_name(filename)
    if kind is not None:
        # A zip is also the container of OOXML, EPUB and SCORM: the name is the better hint.
        if kind.mime == "application/zip" and by_name and by_name != "application/zip":
            return by_name
        return str(kind.mime)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A cut multi-byte character at the end of the sample is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return by_name or "application/octet-stream"
    if by_name and (by_name.startswith("text/") or by_name in {"application/json", "image/svg+xml"}):
        return by_name
    return "text/plain"
