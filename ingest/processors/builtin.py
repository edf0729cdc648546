"""The built-in processors and their registrations (see :mod:`ingest.processors.registry`).

Each ``_<name>`` function is one processor's ``process``: it runs its steps through
``context.step`` (timed under the step's name) and fills the :class:`Outcome`. The heavy modules
are imported inside the functions, so loading the registry stays cheap.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path

from ingest.processors.detect import HTML5_PACKAGE, SCORM
from ingest.processors.outputs import DerivativeOut, Outcome
from ingest.processors.registry import ANY, Context, Processor, register
from ingest.processors.sandbox import ProcessingFailed

OFFICE_TYPES = (
    "application/msword",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/rtf",
    "text/rtf",
)
# Zips the detector recognised as e-lecture packages (ingest.processors.detect.SCORM/HTML5_PACKAGE).
PACKAGE_TYPES = (SCORM, HTML5_PACKAGE)


def sub(workdir: Path, name: str) -> Path:
    """A processor's own folder inside the job's work directory."""
    path = workdir / name
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- processors -------------------------------------------------------------------------------


def _process_media(path: Path, workdir: Path, outcome: Outcome, context: Context) -> None:
    context.step("media", _media, path, workdir, outcome, context.progress)


def _process_image(path: Path, workdir: Path, outcome: Outcome, context: Context) -> None:
    context.step("thumbnails", _image, path, workdir, outcome)
    context.step("text", _text, path, outcome, context.tika_url, required=False)


def _process_pdf(path: Path, workdir: Path, outcome: Outcome, context: Context) -> None:
    context.step("text", _text, path, outcome, context.tika_url, required=True)
    context.step("thumbnails", _pdf, path, workdir, outcome)


def _process_office(path: Path, workdir: Path, outcome: Outcome, context: Context) -> None:
    context.step("text", _text, path, outcome, context.tika_url, required=True)
    context.step("thumbnails", _office, path, workdir, outcome)


def _process_epub(path: Path, workdir: Path, outcome: Outcome, context: Context) -> None:
    context.step("text", _text, path, outcome, context.tika_url, required=True)
    context.step("thumbnails", _epub, path, workdir, outcome)


def _process_package(path: Path, workdir: Path, outcome: Outcome, context: Context) -> None:
    context.step("package", _package, path, workdir, outcome)


def _process_text(path: Path, workdir: Path, outcome: Outcome, context: Context) -> None:
    del workdir  # text only: nothing written
    context.step("text", _text, path, outcome, context.tika_url, required=True)


def _office_pdf(source: Path, outdir: Path, media_type: str) -> DerivativeOut | None:
    from ingest.processors import office

    return office.convert_to_pdf(source, outdir, media_type=media_type)


# -- steps ------------------------------------------------------------------------------------


def _text(path: Path, outcome: Outcome, tika_url: str | None, *, required: bool) -> None:
    from ingest.processors.text import extract_text

    try:
        result = extract_text(path, outcome.media_type, tika_url=tika_url)
    except ProcessingFailed as exc:
        if required or exc.transient:
            raise
        outcome.notes.append(f"no text: {exc.reason}")
        return
    outcome.text = result.text
    outcome.pages = list(result.pages)
    outcome.notes += list(result.notes)
    meta = dict(result.metadata or {})
    outcome.info["document"] = meta
    for key in ("title", "author", "page_count", "language"):
        if meta.get(key):
            outcome.info[key] = meta[key]
    outcome.info["ocr"] = bool(result.ocr_used)


def _pdf(path: Path, workdir: Path, outcome: Outcome) -> None:
    """Page-1 thumbnails now; page previews follow in the ``render_pages`` job."""
    from ingest.processors.thumbnails import render_pdf

    try:
        outcome.derivatives += render_pdf(path, sub(workdir, "pdf"), previews=False)
    except ProcessingFailed as exc:
        if exc.transient:
            raise
        outcome.notes.append(f"no thumbnail: {exc.reason}")
        return
    outcome.pages_pending = True


def _package(path: Path, workdir: Path, outcome: Outcome) -> None:
    """A SCORM/HTML5 e-lecture: unpacked files as hidden ``package`` derivatives (label = path in
    the package, so the launch page's relative links resolve), its pages' text as the file's text."""
    from ingest.processors.packages import inspect_package

    result = inspect_package(path, sub(workdir, "package"))
    outcome.text = result.text
    outcome.notes += result.notes
    outcome.info["package"] = {"kind": result.kind, "title": result.title, "launch": result.launch}
    if result.title:
        outcome.info["title"] = result.title
    if result.extracted_dir is None:
        return
    for name in result.files:
        media_type = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
        outcome.derivatives.append(
            DerivativeOut(kind="package", path=result.extracted_dir / name, media_type=media_type, label=name)
        )


def _office(path: Path, workdir: Path, outcome: Outcome) -> None:
    """The embedded OOXML/ODF preview now (cheap); the LibreOffice PDF rendition, a rendered
    thumbnail and page previews follow in the ``render_pages`` job (about 1–2 s per file)."""
    from ingest.processors import office

    thumb = office.embedded_thumbnail(path, sub(workdir, "ooxml"))
    if thumb:
        outcome.derivatives += thumb
    if office.soffice_available():
        outcome.pages_pending = True


def _epub(path: Path, workdir: Path, outcome: Outcome) -> None:
    from ingest.processors.epub import epub_cover_thumbnails

    try:
        outcome.derivatives += epub_cover_thumbnails(path, sub(workdir, "epub"))
    except ProcessingFailed as exc:
        if exc.transient:
            raise
        outcome.notes.append(f"no cover: {exc.reason}")


def _image(path: Path, workdir: Path, outcome: Outcome) -> None:
    from ingest.processors.images import image_thumbnails

    outcome.derivatives += image_thumbnails(path, sub(workdir, "image"))
    for d in outcome.derivatives:
        if d.width and d.height and d.label == "large":
            outcome.info.setdefault("thumbnail_size", [d.width, d.height])


def _media(path: Path, workdir: Path, outcome: Outcome, progress: Callable[[float], None]) -> None:
    from ingest.processors.media import process_media

    outcome.derivatives += process_media(path, sub(workdir, "media"), progress_cb=progress)
    durations = [d.duration for d in outcome.derivatives if d.duration]
    if durations:
        outcome.info["duration"] = max(durations)


# -- registrations ----------------------------------------------------------------------------

register(Processor(name="media", handles=("video/", "audio/"), process=_process_media))
register(Processor(name="image", handles=("image/",), process=_process_image))
register(Processor(name="pdf", handles=("application/pdf",), process=_process_pdf))
register(Processor(name="office", handles=OFFICE_TYPES, process=_process_office, pdf_rendition=_office_pdf))
register(Processor(name="epub", handles=("application/epub+zip",), process=_process_epub))
register(Processor(name="package", handles=PACKAGE_TYPES, process=_process_package))
register(Processor(name="text", handles=(ANY,), process=_process_text))
