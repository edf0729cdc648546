"""Office documents: a PDF rendition with LibreOffice, or the thumbnail the document carries.

* :func:`convert_to_pdf` runs ``soffice --headless --convert-to pdf`` when LibreOffice is on
  PATH. Every call gets its own user profile (``-env:UserInstallation``) and its own output
  directory: two conversions sharing a profile block on its lock file or crash, and two inputs
  with the same base name overwrite each other's PDF (DEPENDENCY_NOTES §3). The input is linked
  under a fixed, safe name (``document.<ext>``), so a stored blob without an extension, or an
  upload named ``-h.doc``, cannot change what soffice does. The tool runs under
  :func:`~ingest.processors.sandbox.run_command` limits.
* :func:`embedded_thumbnail` reads the preview picture Office and LibreOffice save inside OOXML
  (``docProps/thumbnail.jpeg``) and ODF (``Thumbnails/thumbnail.png``) files, and turns it into
  the same WebP thumbnails as an uploaded image. Vector previews (EMF/WMF) are skipped: nothing
  here renders them.

The pipeline uses the PDF when there is one (page previews, in-browser reading), else the
embedded thumbnail, else a typed placeholder.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from ingest.processors.detect import detect_media_type
from ingest.processors.images import image_thumbnails
from ingest.processors.outputs import DerivativeOut
from ingest.processors.sandbox import ProcessingFailed, run_command

__all__ = ["convert_to_pdf", "embedded_thumbnail", "soffice_available"]

# Measured: 0.8-1.8 s for a teacher's .doc, maxrss ~220 MB. The limits leave room for a
# 300-slide deck without letting a pathological file hold a worker for long.
DEFAULT_TIMEOUT_S = 180.0
DEFAULT_MEMORY_MB = 2048
# An embedded preview is a few KB to a few hundred KB; a larger member is not a thumbnail.
MAX_THUMBNAIL_BYTES = 5 * 1024 * 1024

# soffice picks its import filter from content *and* extension; give it the right extension.
_EXTENSIONS = {
    "application/msword": ".doc",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12": ".pptm",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/rtf": ".rtf",
    "text/rtf": ".rtf",
}
_OFFICE_SUFFIXES = frozenset(_EXTENSIONS.values()) | {".docm", ".xlsm", ".dotx", ".potx", ".ppsx", ".pps"}
_THUMBNAIL_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"
_RASTER = {".jpeg": ".jpg", ".jpg": ".jpg", ".png": ".png", ".gif": ".gif", ".bmp": ".bmp"}


def soffice_available() -> bool:
    """True when LibreOffice's ``soffice`` is on PATH."""
    return shutil.which("soffice") is not None


def convert_to_pdf(
    path: str | Path,
    outdir: str | Path,
    *,
    media_type: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
) -> DerivativeOut | None:
    """Convert an Office document to PDF with LibreOffice.

    Args:
        path: the document (any name; the stored blob may have no extension).
        outdir: existing directory; the PDF is written there as ``document.pdf``.
        media_type: the detected type, to choose the extension soffice sees; detected from
            the content when omitted.
        timeout_s: wall-clock limit for the conversion.
        memory_mb: memory limit for soffice (``RLIMIT_DATA``), or None.

    Returns:
        A ``pdf`` :class:`DerivativeOut`, or None when LibreOffice is not installed.

    Raises:
        ProcessingFailed: the conversion timed out, crashed or produced no PDF (damaged or
            password-protected document).
    """
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    source = Path(path).resolve()
    if media_type is None:
        # Stored blobs have no extension; soffice needs one to pick the right import filter.
        media_type = detect_media_type(source, None, source.name)
    suffix = _EXTENSIONS.get(media_type, "")
    if not suffix and source.suffix.lower() in _OFFICE_SUFFIXES:
        suffix = source.suffix.lower()
    target = Path(outdir) / "document.pdf"
    with tempfile.TemporaryDirectory(prefix="hoclieu-soffice-") as tmp:
        work = Path(tmp)
        profile, out, home = work / "profile", work / "out", work / "home"
        for d in (out, home):
            d.mkdir()
        linked = work / f"document{suffix}"
        try:
            linked.symlink_to(source)
        except OSError:
            shutil.copyfile(source, linked)
        env = {
            **os.environ,
            # soffice also writes under $HOME (font cache, recent files); keep it per call.
            "HOME": str(home),
            "TMPDIR": str(work),
        }
        run = run_command(
            [
                soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--invisible",
                "--norestore",
                "--nolockcheck",
                "--nodefault",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(linked),
            ],
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            # No stall detector: soffice prints one line when it is done and nothing before,
            # so silence is normal; the wall-clock limit bounds a stuck conversion.
            stall_s=None,
            cwd=work,
            env=env,
            label="PDF conversion (LibreOffice)",
        )
        produced = out / "document.pdf"
        if run.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
            raise ProcessingFailed(_failure_reason(run.stderr_tail(2000)), detail=run.stderr_tail(2000))
        shutil.move(str(produced), target)
    return DerivativeOut(kind="pdf", path=target, media_type="application/pdf")


def _failure_reason(stderr: str) -> str:
    lowered = stderr.lower()
    if "password" in lowered:
        return "LibreOffice could not open the document: it is password-protected"
    if "source file could not be loaded" in lowered or "general error" in lowered:
        return "LibreOffice could not open the document (damaged or not an Office file)"
    return "LibreOffice could not convert the document to PDF"


def embedded_thumbnail(path: str | Path, outdir: str | Path) -> list[DerivativeOut]:
    """WebP thumbnails made from the preview image saved inside an OOXML or ODF document.

    Args:
        path: the document.
        outdir: existing directory for ``thumb-small.webp`` and ``thumb-large.webp``.

    Returns:
        ``thumbnail`` derivatives (labels ``small``/``large``, as for images), or ``[]`` when the
        file is not a zip package, has no preview, the preview is a vector drawing (EMF/WMF),
        or it cannot be decoded.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            member = _thumbnail_member(zf)
            if member is None:
                return []
            info = zf.getinfo(member)
            if info.file_size > MAX_THUMBNAIL_BYTES:
                return []
            with zf.open(info) as fh:
                data = fh.read(MAX_THUMBNAIL_BYTES + 1)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError, RuntimeError):
        return []
    if not data or len(data) > MAX_THUMBNAIL_BYTES:
        return []
    ext = _RASTER[posixpath.splitext(member)[1].lower()]
    out = Path(outdir)
    with tempfile.TemporaryDirectory(prefix="hoclieu-ooxml-thumb-") as tmp:
        raw = Path(tmp) / f"embedded{ext}"
        raw.write_bytes(data)
        try:
            return image_thumbnails(raw, out, timeout_s=30, memory_mb=512)
        except ProcessingFailed:
            return []  # a broken preview is no reason to fail the document


def _thumbnail_member(zf: zipfile.ZipFile) -> str | None:
    """The zip member holding a raster preview, or None."""
    names = set(zf.namelist())
    candidates: list[str] = []
    # OOXML names the preview in the package relationships; the file name is only a habit.
    if "_rels/.rels" in names and zf.getinfo("_rels/.rels").file_size < 1_000_000:
        with contextlib.suppress(ElementTree.ParseError, UnicodeDecodeError):
            root = ElementTree.fromstring(zf.read("_rels/.rels"))
            for rel in root:
                if rel.get("Type") == _THUMBNAIL_REL and rel.get("TargetMode") != "External":
                    candidates.append(posixpath.normpath(rel.get("Target", "").lstrip("/")))
    candidates += sorted(n for n in names if n.lower().startswith("docprops/thumbnail."))
    candidates.append("Thumbnails/thumbnail.png")  # ODF
    for name in candidates:
        if name in names and posixpath.splitext(name)[1].lower() in _RASTER:
            return name
    return None
