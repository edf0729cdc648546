"""PDF page images (thumbnails of page 1, a preview of every page) and typed placeholder thumbnails.

PDF rendering uses pypdfium2 in a child process with time and memory limits: pdfium is native
code that a crafted PDF can send into a long loop or a huge allocation. Page previews let a phone
read a document page by page (about 1000 px wide WebP, 30-120 KB a page) without downloading it
whole; their number is capped (``max_pages``) so a 2,000-page scan cannot fill the disk.

Formats with nothing to render (audio without cover art, archives, Office files when LibreOffice
is absent) get a placeholder: a plain card with the type's label (``"PDF"``, ``"DOCX"``,
``"Âm thanh"``) in a font that has the Vietnamese letters.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from pathlib import Path

from ingest.processors.images import DEFAULT_WIDTHS, SIZE_LABELS, WEBP_QUALITY, save_thumbnails
from ingest.processors.outputs import DerivativeOut
from ingest.processors.pool import worker_process
from ingest.processors.sandbox import ProcessingFailed

__all__ = ["PREVIEW_WIDTH", "placeholder_thumbnails", "render_pdf"]

PREVIEW_WIDTH = 1000
DEFAULT_MAX_PAGES = 300
# A page far taller than it is wide (a receipt, a web page printed to one sheet) would render
# to an absurd bitmap at full width: the preview is capped at this many pixels per side.
MAX_PREVIEW_SIDE = 4000


def render_pdf(
    path: str | Path,
    out_dir: str | Path,
    *,
    thumb_widths: Sequence[int] = DEFAULT_WIDTHS,
    previews: bool = True,
    preview_width: int = PREVIEW_WIDTH,
    max_pages: int = DEFAULT_MAX_PAGES,
    password: str | None = None,
    timeout_s: float | None = None,
    memory_mb: int = 2048,
) -> list[DerivativeOut]:
    """Render page-1 thumbnails and per-page previews of a PDF.

    Runs in the warm "pdfium" worker process that text extraction also uses (same memory limit,
    so the same child): a fresh child per PDF costs about 0.3 s more.

    Args:
        path: the PDF.
        out_dir: existing directory; writes ``thumb-small.webp``, ``thumb-large.webp`` and
            ``page-0001.webp``... (fixed names, so a re-run replaces rather than adds).
        thumb_widths: thumbnail widths.
        previews: also render page previews.
        preview_width: preview width in pixels.
        max_pages: at most this many previews (the first pages).
        password: to open an encrypted PDF (uploads normally have none).
        timeout_s: wall-clock limit; default 30 s plus 0.5 s per preview page.
        memory_mb: address-space limit for the child.

    Returns:
        ``thumbnail`` derivatives (page 1) then ``preview`` derivatives (``page`` = 1..n).

    Raises:
        ProcessingFailed: password-protected, damaged, empty, or a limit was hit.
    """
    if timeout_s is None:
        timeout_s = 30 + (0.5 * max_pages if previews else 0)
    rows = worker_process("pdfium", memory_mb=memory_mb).call(
        _render_child,
        str(path),
        str(out_dir),
        tuple(thumb_widths),
        preview_width if previews else 0,
        max_pages,
        password,
        timeout_s=timeout_s,
        label="PDF rendering",
    )
    out: list[DerivativeOut] = []
    for kind, p, w, h, page, label in rows:
        out.append(
            DerivativeOut(
                kind="thumbnail" if kind == "thumbnail" else "preview",
                path=Path(p),
                media_type="image/webp",
                width=w,
                height=h,
                page=page,
                label=label,
            )
        )
    return out


def _open_reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "password" in text:
        return "PDF is password-protected"
    if "security" in text or "handler" in text:
        return "PDF uses an unsupported encryption scheme"
    if "format" in text or "file" in text:
        return "the PDF file is damaged or not a PDF"
    return "the PDF cannot be opened"


def _render_child(
    path: str,
    out_dir: str,
    widths: tuple[int, ...],
    preview_width: int,
    max_pages: int,
    password: str | None,
) -> list[tuple[str, str, int, int, int | None, str | None]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path, password=password)
    except pdfium.PdfiumError as exc:
        raise ProcessingFailed(_open_reason(exc), detail=str(exc)) from None
    out = Path(out_dir)
    rows: list[tuple[str, str, int, int, int | None, str | None]] = []
    try:
        count = len(pdf)
        if count == 0:
            raise ProcessingFailed("the PDF has no pages")
        big = max(widths)
        for index in range(min(count, max_pages) if preview_width else 1):
            try:
                page = pdf[index]
                width_pt, height_pt = page.get_size()
                if width_pt <= 0 or height_pt <= 0:
                    raise ProcessingFailed(f"page {index + 1} of the PDF has no size")
                target = max(preview_width, big if index == 0 else 0)
                scale = min(target / width_pt, MAX_PREVIEW_SIDE / height_pt)
                image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
                page.close()
            except pdfium.PdfiumError as exc:
                raise ProcessingFailed(
                    f"page {index + 1} of the PDF cannot be rendered (damaged)", detail=str(exc)
                ) from None
            if index == 0:
                for p, w, h, label in save_thumbnails(image, out, widths, "thumb"):
                    rows.append(("thumbnail", p, w, h, 1, label))
            if preview_width:
                if image.width > preview_width:
                    image = image.resize(
                        (preview_width, max(1, round(image.height * preview_width / image.width)))
                    )
                target_path = out / f"page-{index + 1:04d}.webp"
                image.save(target_path, "WEBP", quality=WEBP_QUALITY, method=4)
                rows.append(("preview", str(target_path), image.width, image.height, index + 1, None))
    finally:
        pdf.close()
    return rows


# Background colours per type family, so a grid of placeholders is scannable at a glance.
_COLOURS = {
    "PDF": (200, 50, 45),
    "DOC": (43, 87, 154),
    "DOCX": (43, 87, 154),
    "ODT": (43, 87, 154),
    "XLS": (33, 115, 70),
    "XLSX": (33, 115, 70),
    "PPT": (208, 68, 35),
    "PPTX": (208, 68, 35),
    "ZIP": (110, 90, 60),
}
_DEFAULT_COLOUR = (90, 100, 115)
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
)


@functools.lru_cache(maxsize=1)
def _font_path() -> str | None:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return None


def placeholder_thumbnails(
    label: str,
    out_dir: str | Path,
    *,
    widths: Sequence[int] = DEFAULT_WIDTHS,
    prefix: str = "thumb",
) -> list[DerivativeOut]:
    """Write a typed placeholder thumbnail (a coloured 4:3 card with ``label``) per width.

    Our own drawing, not untrusted input, so it runs in-process. DejaVu Sans (apt
    ``fonts-dejavu-core``) is used when present for the Vietnamese letters of labels such as
    "Âm thanh"; otherwise Pillow's built-in font.

    Returns:
        One ``thumbnail`` per width, labelled ``small``/``large``.
    """
    out = Path(out_dir)
    results: list[DerivativeOut] = []
    for i, width in enumerate(widths):
        height = width * 3 // 4
        name = SIZE_LABELS.get(i, f"w{width}") if len(widths) <= 2 else f"w{width}"
        target = out / f"{prefix}-{name}.webp"
        target.write_bytes(_placeholder_webp(label, width))
        results.append(
            DerivativeOut(
                kind="thumbnail", path=target, media_type="image/webp", width=width, height=height, label=name
            )
        )
    return results


@functools.lru_cache(maxsize=64)
def _placeholder_webp(label: str, width: int) -> bytes:
    """The encoded card: the same bytes every time for a label and width, so drawn and encoded
    once per process (about 10 ms each, on every document without a picture of its own)."""
    from PIL import Image, ImageDraw, ImageFont

    colour = _COLOURS.get(label.upper(), _DEFAULT_COLOUR)
    height = width * 3 // 4
    card = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(card)
    size = max(8, height // (3 if len(label) <= 4 else 5))
    font_path = _font_path()
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    while True:
        font = ImageFont.truetype(font_path, size) if font_path else ImageFont.load_default(size)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        if right - left <= width * 0.86 or size <= 8:
            break
        size -= max(1, size // 10)
    x = (width - (right - left)) / 2 - left
    y = (height - (bottom - top)) / 2 - top
    draw.text((x, y), label, fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    card.save(buffer, "WEBP", quality=90, method=4)
    return buffer.getvalue()
