"""Text extraction for search: full text, per-page text, document metadata, OCR for scans.

* PDFs are read with pypdfium2 page by page (fast, and search can say "page 12"); pages with
  no usable text layer are rendered and OCR'd with the Tesseract CLI (``vie+eng``).
* Everything else goes through Apache Tika: the in-process native build ``iscc-tika`` in a
  persistent child process (:mod:`.pool`, so its native image boots once, not per document)
  by default, or a Tika server through the ``tika`` client when ``tika_url`` is
  given (``HOCLIEU_TIKA_URL``).
* Archives are never handed to a recursive parser: zips are listed, single-stream compressed
  files are inflated with a cap, so zip bombs and quines fail fast with a reason.
* The text is NFC, legacy TCVN3/VNI runs are converted (:mod:`.legacy_fonts`), OCR's ``Ð``
  (Eth) becomes ``Đ``, and the size is capped.

Every heavy step runs under :mod:`.sandbox` limits; failures raise ``ProcessingFailed`` with a
reason a person understands ("PDF is password-protected", "file is truncated or corrupt").
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import shutil
import tarfile
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.processors.detect import EMPTY, HTML5_PACKAGE, SCORM
from ingest.processors.legacy_fonts import fix_legacy_vietnamese
from ingest.processors.pool import worker_process
from ingest.processors.sandbox import ProcessingFailed, run_command, run_isolated
from repository.text import fold

__all__ = ["TextResult", "extract_text"]

MAX_TEXT_CHARS = 20_000_000
# A page whose text layer has fewer characters than this is treated as a scan.
MIN_CHARS_PER_PAGE = 20
OCR_DPI = 200
# Archive limits: members, inflated bytes, and inflated/compressed ratio (bombs are > 1000).
MAX_ARCHIVE_MEMBERS = 10_000
MAX_INFLATED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
# Names of the persistent children (:mod:`.pool`) that parse documents.
TIKA_POOL = "tika"
PDFIUM_POOL = "pdfium"

_ARCHIVES = {
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-tar",
    "application/x-7z-compressed",
    "application/x-rar-compressed",
    "application/vnd.rar",
    SCORM,
    HTML5_PACKAGE,
}
_IMAGES_FOR_OCR = {"image/png", "image/jpeg", "image/tiff", "image/bmp", "image/gif", "image/webp"}


@dataclass
class TextResult:
    """The text of one file.

    Attributes:
        text: full text, NFC, legacy fonts converted, at most ``MAX_TEXT_CHARS`` characters.
        pages: ``(page_number, text)`` for paged formats (PDF), 1-based; empty otherwise.
        metadata: ``title``, ``author``, ``page_count``, ``language``, ``created`` when known.
        ocr_used: True when any of the text came from OCR.
        notes: things a curator may want to know ("OCR not available: ...", "text truncated").
    """

    text: str
    pages: list[tuple[int, str]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    ocr_used: bool = False
    notes: list[str] = field(default_factory=list)


def extract_text(
    path: str | Path,
    media_type: str,
    *,
    ocr_languages: str = "vie+eng",
    timeout_s: float = 120,
    memory_mb: int = 2048,
    tika_url: str | None = None,
    ocr_max_pages: int = 20,
    max_chars: int = MAX_TEXT_CHARS,
) -> TextResult:
    """Extract the text of the file at ``path``.

    Args:
        path: the stored file.
        media_type: its detected type (:func:`ingest.processors.detect.detect_media_type`).
        ocr_languages: Tesseract languages for scans and images.
        timeout_s: wall-clock limit of each heavy step (parse, render, one OCR page).
        memory_mb: memory limit of the child process doing the parse.
        tika_url: a Tika server to use instead of the embedded ``iscc-tika``.
        ocr_max_pages: at most this many scanned pages are OCR'd (the rest is noted).
        max_chars: the text is cut at this many characters (noted).

    Returns:
        A :class:`TextResult`.

    Raises:
        ProcessingFailed: with a human-readable reason (empty, encrypted, corrupt, bomb...).
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0 or media_type == EMPTY:
        raise ProcessingFailed("file is empty")

    if media_type == "application/pdf":
        result = _extract_pdf(path, timeout_s, memory_mb, ocr_languages, ocr_max_pages)
    elif media_type in _ARCHIVES:
        result = run_isolated(
            _archive_text,
            str(path),
            media_type,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            label="archive listing",
        )
    elif media_type in _IMAGES_FOR_OCR:
        result = TextResult(text="")
        _ocr_images(result, [(1, path)], ocr_languages, timeout_s)
    elif media_type.startswith(("video/", "audio/")):
        return TextResult(text="", notes=["no text layer in audio or video"])
    elif tika_url:
        result = _tika_server(path, tika_url, timeout_s)
    else:
        # A persistent child keeps Tika's native image warm between documents (see .pool).
        result = worker_process(TIKA_POOL, memory_mb=memory_mb).call(
            _tika_child, str(path), max_chars, timeout_s=timeout_s, label="text extraction"
        )
    return _finish(result, max_chars)


# --- post-processing -------------------------------------------------------------------------

_OCR_FIXES = str.maketrans({"Ð": "Đ", "ð": "đ"})
_BLANK_LINES = re.compile(r"\n{3,}")


# C0 controls other than tab/newline are never text (broken PDF font maps emit them).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    text = fix_legacy_vietnamese(unicodedata.normalize("NFC", _CONTROLS.sub("", text.replace("\r\n", "\n"))))
    return _BLANK_LINES.sub("\n\n", text)


def _undo_utf8_as_latin1(value: str) -> str:
    # PDF producers often write UTF-8 bytes into Info strings that readers decode as
    # PDFDocEncoding/Latin-1: "Lịch sử" arrives as "Lá»‰ch sá»­". Re-decoding fixes it.
    for codec in ("cp1252", "latin-1"):
        try:
            return value.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return value


def _finish(result: TextResult, max_chars: int) -> TextResult:
    result.text = _clean(result.text)
    result.pages = [(n, _clean(t)) for n, t in result.pages]
    for key in ("title", "author"):
        value = result.metadata.get(key)
        if isinstance(value, str):
            result.metadata[key] = _clean(_undo_utf8_as_latin1(value)).strip() or None
    if len(result.text) > max_chars:
        result.text = result.text[:max_chars]
        result.notes.append(f"text truncated to {max_chars:,} characters")
    if not result.metadata.get("language"):
        result.metadata["language"] = _guess_language(result.text)
    if not result.text.strip() and not result.notes:
        result.notes.append("no text found")
    return result


def _guess_language(text: str) -> str | None:
    # A cheap signal that is right for our corpus: Vietnamese carries marks on most words.
    words = [w for w in text[:20000].split() if w.isalpha()]
    if len(words) < 5:
        return None
    marked = sum(1 for w in words if fold(w) != w.lower())
    return "vi" if marked * 4 >= len(words) else None


# --- PDF (pypdfium2) -------------------------------------------------------------------------


def _pdf_child(path: str, render_dir: str | None, pages_to_render: list[int]) -> dict[str, Any]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise ProcessingFailed("PDF is password-protected") from None
        if "format" in message or "file" in message:
            raise ProcessingFailed("PDF is truncated or corrupt", detail=str(exc)) from None
        raise ProcessingFailed(f"PDF could not be read ({exc})") from None
    try:
        if render_dir is not None:
            for index in pages_to_render:
                page = pdf[index]
                page.render(scale=OCR_DPI / 72, grayscale=True).to_pil().save(
                    os.path.join(render_dir, f"page-{index + 1:05d}.png")
                )
            return {}
        pages: list[tuple[int, str]] = []
        for index in range(len(pdf)):
            page = pdf[index]
            text_page = page.get_textpage()
            pages.append((index + 1, text_page.get_text_range().replace("\r\n", "\n").replace("\r", "\n")))
        meta = pdf.get_metadata_dict(skip_empty=True)
        title = meta.get("Title")
        if title and _MOJIBAKE.search(title):
            repaired = _raw_utf8_title(path, title)
            if repaired is not None:
                meta["Title"] = repaired
        return {"pages": pages, "meta": meta}
    finally:
        pdf.close()


# Signs of UTF-8 read as a single-byte encoding: a lead byte of a Vietnamese/Latin letter
# (Ã Ä Å Æ á/â/ạ lead bytes E1 BA/BB as "áº"/"á»") or the NUL pdfium puts for bytes that
# PDFDocEncoding leaves undefined (0x7F, 0x9F, 0xAD: the last byte of "ử", "í", "ậ").
_MOJIBAKE = re.compile(r"[ÃÄÅÆ][\x80-\xbf\u0080-\u2122]|á[º»]|\x00")
_RAW_TITLE = re.compile(rb"/Title\s*\(((?:[^()\\]|\\.){1,2000})\)", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _raw_utf8_title(path: str, decoded: str) -> str | None:
    """Repair a title whose UTF-8 bytes pdfium decoded as PDFDocEncoding ("Lá»‰ch sá»").

    Some producers (Word 2016 exports of the 2018 exam papers) write UTF-8 into an Info string
    without the UTF-16 BOM the PDF spec asks for. pdfium decodes it as PDFDocEncoding, which
    loses the bytes that encoding leaves undefined, so the repair must start from the raw bytes:
    the literal ``/Title (...)`` string in the file, used only when it decodes as UTF-8 and lines
    up byte for character with what pdfium returned (the same string, not another object's).
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read(64 * 1024 * 1024)
    except OSError:
        return None
    for match in _RAW_TITLE.finditer(data):
        raw = re.sub(
            rb"\\([0-7]{1,3}|.)",
            lambda m: (
                bytes([int(m.group(1), 8) & 0xFF])
                if m.group(1)[:1].isdigit()
                else _ESCAPES.get(m.group(1), m.group(1))
            ),
            match.group(1),
            flags=re.DOTALL,
        )
        if raw.startswith((b"\xfe\xff", b"\xff\xfe")) or len(raw) != len(decoded):
            continue
        if any(b < 0x80 and chr(b) != ch for b, ch in zip(raw, decoded, strict=True)):
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if text != decoded:
            return text
    return None


def _extract_pdf(path: Path, timeout_s: float, memory_mb: int, languages: str, max_ocr: int) -> TextResult:
    data = worker_process(PDFIUM_POOL, memory_mb=memory_mb).call(
        _pdf_child, str(path), None, [], timeout_s=timeout_s, label="PDF text extraction"
    )
    pages: list[tuple[int, str]] = data["pages"]
    meta: dict[str, str] = data["meta"]
    result = TextResult(
        text="",
        pages=pages,
        metadata={
            "title": meta.get("Title"),
            "author": meta.get("Author"),
            "page_count": len(pages),
            "created": _pdf_date(meta.get("CreationDate")),
        },
    )
    scanned = [n for n, t in pages if len(t.strip()) < MIN_CHARS_PER_PAGE]
    if pages and len(scanned) * 2 >= len(pages):
        # Mostly image pages: a scan. OCR them (bounded) and merge into the page list.
        todo = scanned[:max_ocr]
        if len(scanned) > max_ocr:
            result.notes.append(f"OCR limited to the first {max_ocr} of {len(scanned)} scanned pages")
        if shutil.which("tesseract") is None:
            result.notes.append("OCR not available: tesseract is not installed")
        else:
            with tempfile.TemporaryDirectory(prefix="hoclieu-ocr-") as tmp:
                worker_process(PDFIUM_POOL, memory_mb=memory_mb).call(
                    _pdf_child,
                    str(path),
                    tmp,
                    [n - 1 for n in todo],
                    timeout_s=timeout_s,
                    label="PDF page rendering",
                )
                images = [(n, Path(tmp) / f"page-{n:05d}.png") for n in todo]
                _ocr_images(result, images, languages, timeout_s)
    result.text = "\n\n".join(t for _, t in result.pages)
    return result


def _pdf_date(value: str | None) -> str | None:
    # PDF dates look like "D:20180625093012+07'00'"; keep an ISO date for metadata.
    if not value:
        return None
    m = re.match(r"D?:?(\d{4})(\d{2})?(\d{2})?", value)
    if not m:
        return None
    year, month, day = m.group(1), m.group(2) or "01", m.group(3) or "01"
    return f"{year}-{month}-{day}"


# --- OCR (tesseract CLI) ---------------------------------------------------------------------


def _ocr_images(result: TextResult, images: list[tuple[int, Path]], languages: str, timeout_s: float) -> None:
    if shutil.which("tesseract") is None:
        result.notes.append("OCR not available: tesseract is not installed")
        return
    available = _tesseract_languages(timeout_s)
    wanted = [lang for lang in languages.split("+") if lang in available]
    missing = [lang for lang in languages.split("+") if lang not in available]
    if missing:
        result.notes.append(f"OCR language data missing: {', '.join(missing)}")
    if not wanted:
        result.notes.append("OCR not available: no requested language is installed")
        return
    # One thread per tesseract: the workers already run in parallel (DEPENDENCY_NOTES §10).
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    texts = dict(result.pages)
    for number, image in images:
        run = run_command(
            ["tesseract", str(image), "-", "-l", "+".join(wanted)],
            timeout_s=timeout_s,
            memory_mb=1024,
            env=env,
            label="OCR",
        )
        if run.returncode != 0:
            result.notes.append(f"OCR failed on page {number}: {run.stderr_tail(200)}")
            continue
        texts[number] = unicodedata.normalize(
            "NFC", run.stdout.decode("utf-8", "replace").translate(_OCR_FIXES)
        )
        result.ocr_used = True
    result.pages = sorted(texts.items())
    if not result.text:
        result.text = "\n\n".join(t for _, t in result.pages)


def _tesseract_languages(timeout_s: float) -> set[str]:
    run = run_command(["tesseract", "--list-langs"], timeout_s=timeout_s, memory_mb=None)
    lines = (run.stdout + run.stderr).decode("utf-8", "replace").splitlines()
    return {line.strip() for line in lines if line.strip() and " " not in line.strip()}


# --- Tika ------------------------------------------------------------------------------------

_TIKA_REASONS = (
    (("encrypteddocument", "password", "encrypted"), "document is password-protected or encrypted"),
    (("unsupportedformat", "unsupported", "no parser"), "file format is not supported"),
    (
        ("zipexception", "eofexception", "truncated", "unexpected end", "tika-198"),
        "file is truncated or corrupt",
    ),
)


def _tika_reason(message: str) -> str:
    lowered = message.lower()
    for needles, reason in _TIKA_REASONS:
        if any(n in lowered for n in needles):
            return reason
    return "file could not be parsed (corrupt or unsupported)"


def _first(meta: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return str(value)
    return None


def _tika_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    pages = _first(meta, "xmpTPg:NPages", "meta:page-count", "Page-Count")
    return {
        "title": _first(meta, "dc:title", "title"),
        "author": _first(meta, "dc:creator", "meta:author", "Author"),
        "page_count": int(pages) if pages and pages.isdigit() else None,
        "language": _first(meta, "dc:language", "language"),
        "created": _first(meta, "dcterms:created", "meta:creation-date", "Creation-Date"),
        "content_type": _first(meta, "Content-Type"),
    }


_extractor: Any = None


def _tika_extractor() -> Any:
    # Runs in the pool's child: one Extractor (and one booted native image) for many documents.
    global _extractor
    if _extractor is None:
        import iscc_tika

        _extractor = iscc_tika.Extractor()
    return _extractor


def _tika_child(path: str, max_chars: int) -> TextResult:
    extractor = _tika_extractor()
    extractor.set_extract_string_max_length(max_chars + 1)
    try:
        text, meta = extractor.extract_file_to_string(path)
    except (TypeError, ValueError, RuntimeError, OSError) as exc:
        # iscc-tika wraps Tika's ParseError/EncryptedDocumentException in a TypeError.
        raise ProcessingFailed(_tika_reason(str(exc)), detail=str(exc)[:2000]) from None
    warnings = " ".join(str(w) for w in meta.get("X-TIKA:warning") or [])
    if "EncryptedDocumentException" in warnings and not text.strip():
        # Tika reports encrypted Office/ODF files as a warning with empty text, not an error.
        if "DRM" in warnings:
            raise ProcessingFailed("document is DRM-protected", detail=warnings[:2000])
        raise ProcessingFailed("document is password-protected", detail=warnings[:2000])
    result = TextResult(text=text, metadata=_tika_metadata(meta))
    if len(text) > max_chars:
        result.notes.append(f"text truncated to {max_chars:,} characters")
    return result


def _tika_server(path: Path, url: str, timeout_s: float) -> TextResult:
    from tika import parser

    try:
        parsed = parser.from_file(str(path), serverEndpoint=url, requestOptions={"timeout": timeout_s})
    except Exception as exc:  # the client raises bare Exceptions and requests errors
        raise ProcessingFailed(
            f"Tika server at {url} is unavailable", transient=True, detail=str(exc)
        ) from None
    status = int(parsed.get("status") or 0)
    if status == 422:
        raise ProcessingFailed("document is password-protected or encrypted, or corrupt")
    if status == 415:
        raise ProcessingFailed("file format is not supported")
    if status >= 500 or status == 0:
        raise ProcessingFailed(f"Tika server failed (HTTP {status})", transient=status >= 500)
    return TextResult(text=parsed.get("content") or "", metadata=_tika_metadata(parsed.get("metadata") or {}))


# --- archives --------------------------------------------------------------------------------

_MAGICS = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf\x27\x1c", b"Rar!")


def _archive_text(path: str, media_type: str) -> TextResult:
    """List an archive's members (zip, tar) or inflate a single compressed stream, bounded."""
    if media_type in ("application/x-7z-compressed", "application/x-rar-compressed", "application/vnd.rar"):
        raise ProcessingFailed("7z and RAR archives are not supported; upload a zip")
    if zipfile.is_zipfile(path):
        return _zip_listing(path)
    opener = {
        "application/gzip": gzip.open,
        "application/x-gzip": gzip.open,
        "application/x-bzip2": bz2.open,
        "application/x-xz": lzma.open,
    }.get(media_type)
    if opener is not None:
        return _inflate(path, opener)
    if media_type == "application/x-tar":
        return _tar_listing(path)
    raise ProcessingFailed("file is truncated or corrupt")


def _zip_listing(path: str) -> TextResult:
    compressed = os.path.getsize(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ProcessingFailed("zip archive is truncated or corrupt", detail=str(exc)) from None
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise ProcessingFailed(f"zip archive has {len(infos):,} files, more than {MAX_ARCHIVE_MEMBERS:,}")
    inflated = sum(i.file_size for i in infos)
    if inflated > MAX_INFLATED_BYTES or inflated > MAX_RATIO * max(compressed, 1) + 10_000_000:
        raise ProcessingFailed(
            f"zip archive would inflate to {inflated / 1e6:,.0f} MB from {compressed / 1e6:,.1f} MB "
            "(a decompression bomb?)"
        )
    names = [i.filename for i in infos]
    nested = [n for n in names if n.lower().endswith((".zip", ".gz", ".tgz", ".7z", ".rar"))]
    result = TextResult(text="\n".join(names), metadata={"file_count": len(infos)})
    result.notes.append("archive listed, not extracted")
    if nested:
        result.notes.append(f"contains {len(nested)} nested archive(s), not opened")
    return result


def _inflate(path: str, opener: Any) -> TextResult:
    compressed = max(os.path.getsize(path), 1)
    limit = min(MAX_INFLATED_BYTES, MAX_RATIO * compressed + 10_000_000)
    try:
        with opener(path, "rb") as fh:
            data = fh.read(limit + 1)
    except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
        raise ProcessingFailed("compressed file is truncated or corrupt", detail=str(exc)) from None
    if len(data) > limit:
        raise ProcessingFailed(
            f"compressed file inflates to more than {limit / 1e6:,.0f} MB (a decompression bomb?)"
        )
    if not data:
        raise ProcessingFailed("compressed file is empty")
    if data.startswith(_MAGICS):
        # quine.gz inflates to itself; a compressed file inside a compressed file is never
        # unpacked further.
        raise ProcessingFailed("compressed file contains another compressed archive (recursive archive)")
    if len(data) > 262 and data[257:262] == b"ustar":
        with tempfile.NamedTemporaryFile(suffix=".tar") as tmp:
            tmp.write(data)
            tmp.flush()
            return _tar_listing(tmp.name)
    if b"\x00" in data[:8192]:
        raise ProcessingFailed("compressed file holds binary data with no text")
    return TextResult(text=data.decode("utf-8", "replace"))


def _tar_listing(path: str) -> TextResult:
    names: list[str] = []
    try:
        with tarfile.open(path) as tf:
            for member in tf:
                names.append(member.name)
                if len(names) > MAX_ARCHIVE_MEMBERS:
                    raise ProcessingFailed(f"tar archive has more than {MAX_ARCHIVE_MEMBERS:,} files")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ProcessingFailed("tar archive is truncated or corrupt", detail=str(exc)) from None
    return TextResult(
        text="\n".join(names), metadata={"file_count": len(names)}, notes=["archive listed, not extracted"]
    )
