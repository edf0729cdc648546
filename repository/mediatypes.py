"""The media types the repository knows, and a first, cheap guess of an upload's type.

**One table of media types.** Each :class:`MediaType` says what is *true of a type* whatever
processes it: the extensions that name it (the first one is used for downloads), and the label a
person reads for it (a placeholder thumbnail says "Trình chiếu" for slides). Upload-time sniffing
(:func:`sniff`), download names (:func:`extension_for`) and ingest's placeholders
(:func:`label_for`) all read this table, so nothing else keeps its own list of extensions.

Why here and not in ``ingest``: the table is needed by processes that never ingest anything (the
web process naming a download, an upload guessing a declared type), and ``repository`` imports no
other package of ours. So the *facts* live in the core and the *behaviour* lives in ingest: an
ingest processor (``ingest.processors.registry``) declares the media types it handles, and
registering it adds any type new to the repository to this table (:func:`register`). A new file
type is one processor module and one registration; the web layer and upload code need no change.
Types every process must know before any processor is loaded (the formats teachers upload and the
renditions ingest writes) are declared below as data.

Ingest refines the upload-time guess with full content detection (``ingest.processors.detect``)
and records the result; both the declared and the detected types are kept.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

import filetype

__all__ = [
    "MediaType",
    "extension_for",
    "guess_from_name",
    "label_for",
    "lookup",
    "register",
    "sniff",
    "unregister",
]

#: What a placeholder says when no row of the table labels a type.
DEFAULT_LABEL = "Tệp"


@dataclass(frozen=True)
class MediaType:
    """One row of the table.

    ``name`` is a media type (``"application/epub+zip"``) or, for a row that only gives a label,
    a family of types: a top-level type (``"audio/"``) or a stem of dotted subtypes
    (``"application/vnd.ms-powerpoint"`` also labels ``"application/vnd.ms-powerpoint.slideshow
    .macroenabled.12"``). :func:`label_for` takes the longest labelled row naming a type's family.

    Example::

        MediaType("application/vnd.geogebra.file", extensions=(".ggb",), label="GeoGebra")
    """

    name: str
    #: Lower-case, with the dot; the first names downloads of this type.
    extensions: tuple[str, ...] = ()
    #: How a person calls this kind of file (Vietnamese, shown on placeholder thumbnails).
    label: str | None = None


_OXML = "application/vnd.openxmlformats-officedocument."

_BUILTIN = (
    # Formats teachers upload that the platform's mimetypes tables may not know.
    MediaType("text/markdown", (".md",)),
    MediaType(_OXML + "wordprocessingml.document", (".docx",)),
    MediaType(_OXML + "presentationml.presentation", (".pptx",)),
    MediaType(_OXML + "spreadsheetml.sheet", (".xlsx",)),
    MediaType("application/epub+zip", (".epub",), label="EPUB"),
    MediaType("application/pdf", label="PDF"),
    MediaType("application/zip", label="Gói nén"),
    MediaType("application/vnd.scorm+zip", label="Bài giảng"),
    MediaType("application/vnd.html5-package+zip", label="Bài giảng"),
    MediaType("application/vnd.ms-powerpoint", label="Trình chiếu"),
    MediaType("application/msword", label="Văn bản"),
    MediaType("application/vnd.ms-excel", label="Bảng tính"),
    # What ingest writes (thumbnails, text, renditions, HLS playlists), named for download.
    MediaType("image/webp", (".webp",)),
    MediaType("text/plain", (".txt",)),
    MediaType("video/mp4", (".mp4",)),
    MediaType("audio/mp4", (".m4a",)),
    MediaType("application/vnd.apple.mpegurl", (".m3u8",)),
    # Labels of whole families.
    MediaType("text/", label="Văn bản"),
    MediaType("audio/", label="Âm thanh"),
    MediaType(_OXML + "presentationml", label="Trình chiếu"),
    MediaType(_OXML + "wordprocessingml", label="Văn bản"),
    MediaType(_OXML + "spreadsheetml", label="Bảng tính"),
)

_TABLE: dict[str, MediaType] = {}
_BY_EXTENSION: dict[str, str] = {}


def register(media_type: MediaType) -> MediaType:
    """Add (or replace) a row. Returns it, so a declaration can be kept in a constant.

    Raises:
        ValueError: an extension is already another registered type's (one name, one type).
    """
    for ext in media_type.extensions:
        owner = _BY_EXTENSION.get(ext)
        if owner is not None and owner != media_type.name:
            raise ValueError(f"extension {ext!r} already names {owner!r}")
    unregister(media_type.name)
    _TABLE[media_type.name] = media_type
    for ext in media_type.extensions:
        _BY_EXTENSION[ext] = media_type.name
    return media_type


def unregister(name: str) -> None:
    """Remove a row (tests that registered a type of their own)."""
    old = _TABLE.pop(name, None)
    if old is not None:
        for ext in old.extensions:
            _BY_EXTENSION.pop(ext, None)


def lookup(name: str) -> MediaType | None:
    """The row for exactly this media type, if any."""
    return _TABLE.get(name)


def extension_for(media_type: str) -> str | None:
    """The extension a download of this type is named with (``".webp"``), or None."""
    row = _TABLE.get(media_type)
    if row is not None and row.extensions:
        return row.extensions[0]
    return mimetypes.guess_extension(media_type)


def label_for(media_type: str) -> str:
    """How a person calls a file of this type: its row's label, else the longest labelled row
    naming a family of it (``"audio/"``, or a stem followed by ``.``), else :data:`DEFAULT_LABEL`."""
    best: MediaType | None = None
    for row in _TABLE.values():
        if (
            row.label
            and _in_family(media_type, row.name)
            and (best is None or len(row.name) > len(best.name))
        ):
            best = row
    return best.label if best is not None and best.label else DEFAULT_LABEL


def _in_family(media_type: str, name: str) -> bool:
    if media_type == name:
        return True
    return media_type.startswith(name) and (name.endswith("/") or media_type[len(name)] == ".")


def guess_from_name(filename: str) -> str | None:
    ext = Path(filename).suffix.lower()
    return _BY_EXTENSION.get(ext) or mimetypes.guess_type(filename)[0]


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


for _row in _BUILTIN:
    register(_row)
