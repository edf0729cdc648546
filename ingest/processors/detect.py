"""Media type detection from a file's content, not its name.

Uploads arrive with wrong extensions and browser-guessed types ("application/octet-stream",
a .doc that is really RTF, a .zip that is a SCORM package). ``filetype`` recognises magic
numbers; on top of it this module looks *inside* containers, because the interesting types
share one container format:

* ZIP: OOXML (``[Content_Types].xml`` names the main part: docx/pptx/xlsx and their macro and
  template variants), ODF and EPUB (the ``mimetype`` entry), SCORM (``imsmanifest.xml``),
  HTML5 packages (a top-level ``index.html``); anything else stays ``application/zip``.
* OLE2 (``D0 CF 11 E0``): Word, PowerPoint and Excel 97-2003 by their stream names, and
  password-protected OOXML (``EncryptedPackage``).
* Text: PDF, RTF and HTML markers, then plain text when the head decodes cleanly.

The extension only refines a text type (``.csv``, ``.md``), where content cannot tell.

Formats added by a registered processor (:mod:`ingest.processors.registry`) bring their own hints
(:class:`~ingest.processors.registry.Signature`: leading magic bytes, or a member marking a zip);
they are tried before the built-in rules, so a new format needs no change here.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from pathlib import Path

import filetype

from ingest.processors import registry

__all__ = ["EMPTY", "HTML5_PACKAGE", "SCORM", "detect_media_type"]

EMPTY = "application/x-empty"
SCORM = "application/vnd.scorm+zip"
HTML5_PACKAGE = "application/vnd.html5-package+zip"
OCTET = "application/octet-stream"

_HEAD = 64 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_OXML = "application/vnd.openxmlformats-officedocument."
# Main-part content types in [Content_Types].xml → the document's media type.
_OOXML_MAIN = (
    (
        "wordprocessingml.document.main+xml",
        _OXML + "wordprocessingml.document",
    ),
    (
        "wordprocessingml.template.main+xml",
        _OXML + "wordprocessingml.template",
    ),
    ("ms-word.document.macroEnabled.main+xml", "application/vnd.ms-word.document.macroenabled.12"),
    ("ms-word.template.macroEnabledTemplate.main+xml", "application/vnd.ms-word.template.macroenabled.12"),
    (
        "presentationml.presentation.main+xml",
        _OXML + "presentationml.presentation",
    ),
    (
        "presentationml.slideshow.main+xml",
        _OXML + "presentationml.slideshow",
    ),
    (
        "presentationml.template.main+xml",
        _OXML + "presentationml.template",
    ),
    (
        "ms-powerpoint.presentation.macroEnabled.main+xml",
        "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    ),
    (
        "ms-powerpoint.slideshow.macroEnabled.main+xml",
        "application/vnd.ms-powerpoint.slideshow.macroenabled.12",
    ),
    ("spreadsheetml.sheet.main+xml", _OXML + "spreadsheetml.sheet"),
    (
        "spreadsheetml.template.main+xml",
        _OXML + "spreadsheetml.template",
    ),
    ("ms-excel.sheet.macroEnabled.main+xml", "application/vnd.ms-excel.sheet.macroenabled.12"),
    ("ms-xpsdocument", "application/vnd.ms-xpsdocument"),
)
_OOXML_DIRS = (
    ("word/", _OXML + "wordprocessingml.document"),
    ("ppt/", _OXML + "presentationml.presentation"),
    ("xl/", _OXML + "spreadsheetml.sheet"),
)
# OLE2 stream names (stored UTF-16LE in the directory sectors), most specific first.
_OLE_STREAMS = (
    ("EncryptedPackage", "application/x-tika-ooxml-protected"),
    ("WordDocument", "application/msword"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint"),
    ("Workbook", "application/vnd.ms-excel"),
    ("Book", "application/vnd.ms-excel"),
    ("Quill", "application/x-mspublisher"),
    ("MatOST", "application/vnd.ms-works"),
)
_TEXT_BY_EXT = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".xml": "application/xml",
    ".json": "application/json",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
}
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)


def detect_media_type(path: str | Path, declared: str | None, filename: str) -> str:
    """Return the media type of the file at ``path``, judged from its content.

    Args:
        path: the stored file.
        declared: the type the uploader sent (kept by the caller; used only as a last resort
            when the content says nothing, e.g. an unknown binary format).
        filename: the original name; only refines plain-text types (csv, markdown).

    Returns:
        A media type string; ``application/x-empty`` for a 0-byte file and
        ``application/octet-stream`` when nothing is known.
    """
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    if not head:
        return EMPTY
    ext = Path(filename).suffix.lower()

    for sig in registry.signatures():
        if sig.magic is not None and head.startswith(sig.magic):
            return sig.media_type
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_type(path)
    if head.startswith(_OLE_MAGIC):
        return _ole_type(path)
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.lstrip().startswith(b"{\\rtf"):
        return "application/rtf"

    kind = filetype.guess(head)
    if kind is not None and kind.mime != "application/zip":
        return str(kind.mime)

    text = _decode_text(head)
    if text is not None:
        if ext in (".mhtml", ".mht") or text.lstrip().lower().startswith(("mime-version:", "from:")):
            if "multipart/related" in text.lower():
                return "multipart/related"
        if _HTML.search(head[:4096]):
            return "text/html"
        if head.lstrip().startswith(b"<?xml"):
            return _TEXT_BY_EXT.get(ext, "application/xml")
        return _TEXT_BY_EXT.get(ext, "text/plain")
    return declared if declared and declared != OCTET else OCTET


def _zip_type(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            name_set = set(names)
            for sig in registry.signatures():
                if sig.zip_member is not None and sig.zip_member in name_set:
                    return sig.media_type
            if "[Content_Types].xml" in name_set:
                info = zf.getinfo("[Content_Types].xml")
                if info.file_size < 1_000_000:  # a real one is a few KB; do not inflate a bomb
                    types = zf.read(info).decode("utf-8", "replace")
                    for marker, media in _OOXML_MAIN:
                        if marker.lower() in types.lower():
                            return media
                for prefix, media in _OOXML_DIRS:
                    if any(n.startswith(prefix) for n in names):
                        return media
            if "mimetype" in name_set and zf.getinfo("mimetype").file_size < 200:
                declared = zf.read("mimetype").decode("ascii", "replace").strip()
                if re.fullmatch(r"[\w.+-]+/[\w.+-]+", declared):
                    return declared
            if "imsmanifest.xml" in name_set:
                return SCORM
            if "META-INF/container.xml" in name_set:
                return "application/epub+zip"
            if "index.html" in name_set or "index.htm" in name_set:
                return HTML5_PACKAGE
    except (zipfile.BadZipFile, OSError, KeyError, NotImplementedError, RuntimeError):
        # Truncated (no central directory): the local headers at the start still name the
        # parts, so a cut-off .docx is reported as a damaged document, not a damaged zip.
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
        if b"[Content_Types].xml" in head:
            for prefix, media in _OOXML_DIRS:
                if prefix.encode() in head:
                    return media
    return "application/zip"


def _ole_type(path: Path) -> str:
    # The directory sectors can be anywhere, but in real files they are within the first few
    # MB; reading a bounded prefix keeps detection cheap for a 500 MB .ppt.
    with path.open("rb") as fh:
        data = fh.read(8 * 1024 * 1024)
    for stream, media in _OLE_STREAMS:
        if stream.encode("utf-16-le") + b"\x00\x00" in data:
            return media
    return "application/x-tika-msoffice"


def _decode_text(head: bytes) -> str | None:
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    for encoding in ("utf-8-sig", "utf-16"):
        with contextlib.suppress(UnicodeDecodeError):
            # The head may cut a multi-byte character: drop at most 3 trailing bytes.
            text = head.decode(encoding) if encoding != "utf-8-sig" else _decode_utf8_prefix(head)
            if text is not None and _mostly_printable(text):
                return text
    with contextlib.suppress(UnicodeDecodeError):
        text = head.decode("cp1252")
        if _mostly_printable(text):
            return text
    return None


def _decode_utf8_prefix(head: bytes) -> str | None:
    for cut in range(4):
        with contextlib.suppress(UnicodeDecodeError):
            return head[: len(head) - cut].decode("utf-8-sig")
    return None


def _mostly_printable(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b")
    return bad * 100 <= len(text)
