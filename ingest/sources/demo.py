"""Generate the sample materials that ``hoclieu demo`` loads.

The demo must show a living portal on a fresh clone with no network and no third-party files, so
every sample is *generated* here from the texts in ``demo_content`` (never copied from the test
corpora): PDF with a real text layer, DOCX, PPTX, HTML, Markdown, plain text, an H.264/AAC video,
an MP3 and two images. ``demo_items(workdir)`` writes them and returns each path with its
metadata document, ready for the import service.

Choices, measured on 2 cores (the whole set takes about a second or two):

* **Font**: ``demo_assets/HoclieuDemoSans*.ttf`` is a ~43 KB subset of DejaVu Sans (Latin +
  Vietnamese + a few maths symbols), renamed as its licence requires (``LICENSE-fonts.txt``).
  Shipping it means the PDF, video and images look the same on machines without system fonts.
* **PDF**: written with pypdfium2 (already a dependency for previews), which embeds the TrueType
  font as a CID font with a ``ToUnicode`` map, so the text layer extracts as the NFC text we wrote.
  pdfium stamps a creation date and a random ``/ID``; both are rewritten in place (same length,
  so the xref offsets stay valid) to make the bytes reproducible.
* **DOCX/PPTX**: python-docx / python-pptx, with fixed core-property dates and the ZIP entries
  rewritten with a fixed timestamp (zipfile stamps the wall clock otherwise).
* **Video/audio**: frames drawn with Pillow, a tune synthesised in pure Python, encoded by the
  ffmpeg binary of ``imageio-ffmpeg`` with ``bitexact`` flags and one x264 thread (x264's output
  depends on its thread count) so re-runs give the same bytes and ``demo`` de-duplicates by sha256.
"""

from __future__ import annotations

import copy
import ctypes
import hashlib
import html
import io
import math
import os
import re
import subprocess
import tempfile
import wave
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ingest.sources import demo_content as content
from ingest.sources.demo_content import Slide, Spec
from repository.errors import RepositoryError

ASSETS_DIR = Path(__file__).resolve().parent / "demo_assets"
FONT_REGULAR = ASSETS_DIR / "HoclieuDemoSans.ttf"
FONT_BOLD = ASSETS_DIR / "HoclieuDemoSans-Bold.ttf"

# Every generated file carries this date, so regenerating gives identical bytes.
FIXED_DATE = datetime(2025, 9, 5, 8, 0, 0, tzinfo=UTC)
_ZIP_DATE = (2025, 9, 5, 8, 0, 0)

VIDEO_SIZE = (640, 360)
VIDEO_FPS_IN = 5  # frames we draw per second; ffmpeg repeats them up to VIDEO_FPS_OUT
VIDEO_FPS_OUT = 25
AUDIO_RATE = 22_050
FFMPEG_TIMEOUT_S = 60

RGB = tuple[int, int, int]


class DemoGenerationError(RepositoryError):
    """A demo file could not be generated (missing font, ffmpeg failure...)."""

    code = "demo_generation_failed"


@dataclass(frozen=True)
class DemoItem:
    """One generated demo file and the metadata document to import it with."""

    path: Path
    metadata: dict[str, Any]


def demo_items(workdir: Path) -> list[DemoItem]:
    """Generate every demo material into ``workdir`` and return them in load order.

    Files are written atomically (temporary name, then rename), so an interrupted run never
    leaves a truncated file behind. Running it again overwrites the files with identical bytes.

    Args:
        workdir: a directory (created when missing) that receives the files.

    Returns:
        One ``DemoItem`` per material; ``metadata`` is a fresh copy the caller may modify.

    Raises:
        DemoGenerationError: a font asset is missing or ffmpeg failed.
    """
    for font in (FONT_REGULAR, FONT_BOLD):
        if not font.is_file():
            raise DemoGenerationError(f"demo font missing: {font.name} (expected in {ASSETS_DIR.name}/)")
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoGenerationError(
            f"cannot use {workdir} as the demo directory: {exc.strerror or exc}"
        ) from exc
    items: list[DemoItem] = []
    for spec in content.SPECS:
        target = workdir / spec.filename
        tmp = workdir / f".{spec.filename}.part"
        try:
            _renderer(spec)(spec, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        items.append(DemoItem(path=target, metadata=copy.deepcopy(spec.metadata)))
    return items


def _renderer(spec: Spec) -> Callable[[Spec, Path], None]:
    """Pick the writer from ``spec.kind`` or, for documents, the file extension."""
    by_kind: dict[str, Callable[[Spec, Path], None]] = {
        "deck": _write_pptx,
        "video": _write_video,
        "audio": _write_audio,
        "water-cycle": _draw_water_cycle,
        "photosynthesis": _draw_photosynthesis,
    }
    if spec.kind in by_kind:
        return by_kind[spec.kind]
    by_suffix: dict[str, Callable[[Spec, Path], None]] = {
        ".pdf": _write_pdf,
        ".docx": _write_docx,
        ".html": _write_html,
        ".md": _write_markdown,
        ".txt": _write_text,
    }
    suffix = Path(spec.filename).suffix
    if spec.kind != "document" or suffix not in by_suffix:
        raise DemoGenerationError(f"no demo renderer for {spec.filename!r} (kind {spec.kind!r})")
    return by_suffix[suffix]


# --------------------------------------------------------------------------------------------
# PDF (pypdfium2)
# --------------------------------------------------------------------------------------------

_PAGE_W, _PAGE_H = 595.0, 842.0  # A4 in points
_MARGIN = 56.0
_STYLES: dict[str, tuple[float, bool, RGB, float, float]] = {
    # kind: (size pt, bold, colour, space before, indent)
    "h1": (20.0, True, (20, 70, 140), 0.0, 0.0),
    "h2": (13.5, True, (20, 70, 140), 10.0, 0.0),
    "p": (11.0, False, (25, 25, 25), 4.0, 0.0),
    "li": (11.0, False, (25, 25, 25), 2.0, 14.0),
}


@dataclass(frozen=True)
class _Line:
    text: str
    x: float
    y: float  # baseline, from the bottom of the page (PDF user space)
    size: float
    bold: bool
    colour: RGB


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap measured with the same font the PDF embeds (1 px at size N = 1 pt)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _layout_pdf(blocks: Sequence[tuple[str, str]]) -> list[list[_Line]]:
    """Flow the blocks onto A4 pages; ``break`` forces a new page."""
    fonts: dict[tuple[float, bool], ImageFont.FreeTypeFont] = {}
    pages: list[list[_Line]] = [[]]
    y = _PAGE_H - _MARGIN
    for kind, text in blocks:
        if kind == "break":
            pages.append([])
            y = _PAGE_H - _MARGIN
            continue
        if kind not in _STYLES:
            raise DemoGenerationError(f"PDF demo documents do not support {kind!r} blocks")
        size, bold, colour, before, indent = _STYLES[kind]
        key = (size, bold)
        if key not in fonts:
            fonts[key] = ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size=round(size * 4))
        # Measure at 4x the size (Pillow takes integer sizes) and scale back to points.
        measure = fonts[key]
        bullet = "• " if kind == "li" else ""
        width_px = (_PAGE_W - 2 * _MARGIN - indent) * 4
        wrapped = _wrap(text, measure, width_px)
        leading = size * 1.45
        if pages[-1]:
            y -= before
        for i, line in enumerate(wrapped):
            if y - leading < _MARGIN + 20:  # keep clear of the footer
                pages.append([])
                y = _PAGE_H - _MARGIN
            y -= leading
            x = _MARGIN + indent
            shown = line
            if bullet:
                if i == 0:
                    pages[-1].append(_Line(bullet.strip(), x - 10, y, size, bold, colour))
            pages[-1].append(_Line(shown, x, y, size, bold, colour))
        if kind == "h1":
            y -= 6
    return [page for page in pages if page]


def _pdf_text_object(pdf: Any, font: Any, line: _Line) -> Any:
    import pypdfium2.raw as pdfium_c

    obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf, font, ctypes.c_float(line.size))
    # FPDF_WIDESTRING is NUL-terminated UTF-16LE.
    encoded = (line.text + "\x00").encode("utf-16-le")
    buffer = ctypes.create_string_buffer(encoded, len(encoded))
    pdfium_c.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
    r, g, b = line.colour
    pdfium_c.FPDFPageObj_SetFillColor(obj, r, g, b, 255)
    pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, line.x, line.y)
    return obj


def _write_pdf(spec: Spec, path: Path) -> None:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pages = _layout_pdf(spec.blocks)
    footer_size = 8.5
    pdf = pdfium.PdfDocument.new()
    try:
        font_data = [FONT_REGULAR.read_bytes(), FONT_BOLD.read_bytes()]
        # pdfium reads the font bytes while loading; keep the buffers referenced until saved.
        buffers = [(ctypes.c_uint8 * len(d)).from_buffer_copy(d) for d in font_data]
        fonts = [
            pdfium_c.FPDFText_LoadFont(pdf, buf, len(buf), pdfium_c.FPDF_FONT_TRUETYPE, True)
            for buf in buffers
        ]
        if not all(fonts):
            raise DemoGenerationError("pdfium could not load the demo font")
        for number, lines in enumerate(pages, start=1):
            page = pdf.new_page(_PAGE_W, _PAGE_H)
            footer = _Line(
                f"{spec.metadata['title']} · Học liệu mẫu Hoclieu · Trang {number}/{len(pages)}",
                _MARGIN,
                _MARGIN - 20,
                footer_size,
                False,
                (110, 110, 110),
            )
            for line in [*lines, footer]:
                obj = _pdf_text_object(pdf, fonts[1 if line.bold else 0], line)
                pdfium_c.FPDFPage_InsertObject(page, obj)
            if not pdfium_c.FPDFPage_GenerateContent(page):
                raise DemoGenerationError(f"pdfium could not write page {number} of {spec.filename}")
            page.close()
        out = io.BytesIO()
        pdf.save(out)
    finally:
        pdf.close()
    path.write_bytes(_reproducible_pdf(out.getvalue()))


_PDF_DATE = re.compile(rb"/CreationDate\(D:\d{14}[^)]*\)")
_PDF_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]")


def _reproducible_pdf(data: bytes) -> bytes:
    """Replace pdfium's wall-clock date and random ``/ID`` with fixed values of the same length.

    Same-length substitutions keep every xref byte offset valid. The new ID is derived from the
    content (as PDF 32000-1 §14.4 suggests), so different documents still get different IDs.
    """

    def fixed_date(match: re.Match[bytes]) -> bytes:
        stamp = b"/CreationDate(D:" + FIXED_DATE.strftime("%Y%m%d%H%M%S").encode() + b"Z"
        return stamp.ljust(len(match.group(0)) - 1, b" ")[: len(match.group(0)) - 1] + b")"

    data = _PDF_DATE.sub(fixed_date, data)
    match = _PDF_ID.search(data)
    if match:
        digest = hashlib.md5(data[: match.start()], usedforsecurity=False).hexdigest().upper().encode()
        first = (digest * 4)[: len(match.group(1))]
        second = (digest * 4)[: len(match.group(2))]
        replacement = match.group(0).replace(match.group(1), first, 1)
        replacement = replacement[::-1].replace(match.group(2)[::-1], second[::-1], 1)[::-1]
        data = data[: match.start()] + replacement + data[match.end() :]
    return data


# --------------------------------------------------------------------------------------------
# Office formats
# --------------------------------------------------------------------------------------------


def _normalise_zip(path: Path) -> None:
    """Rewrite an OOXML package with fixed entry timestamps (same order, same compression)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3  # do not depend on the OS that generated the file
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    path.write_bytes(buffer.getvalue())


def _core_properties(props: Any, spec: Spec) -> None:
    meta = spec.metadata
    props.title = meta["title"]
    props.subject = meta.get("lesson") or meta["title"]
    props.author = content.AUTHOR
    props.last_modified_by = content.AUTHOR
    props.keywords = ", ".join(meta.get("keywords", []))
    props.comments = meta.get("description", "")
    props.language = "vi-VN" if meta.get("language", "vi") == "vi" else "en-US"
    props.revision = 1
    naive = FIXED_DATE.replace(tzinfo=None)  # python-docx/pptx write naive datetimes as UTC
    props.created = naive
    props.modified = naive
    props.last_printed = naive


def _write_docx(spec: Spec, path: Path) -> None:
    import docx
    from docx.shared import Pt

    document = docx.Document()
    _core_properties(document.core_properties, spec)
    for kind, text in spec.blocks:
        if kind == "h1":
            document.add_heading(text, level=1)
        elif kind == "h2":
            document.add_heading(text, level=2)
        elif kind == "p":
            document.add_paragraph(text)
        elif kind == "li":
            document.add_paragraph(text, style="List Bullet")
        elif kind == "table":
            rows = spec.tables[int(text)]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = value
                    for run in cell.paragraphs[0].runs:
                        run.font.size = Pt(10)
                        run.bold = r == 0
        elif kind != "break":  # page breaks only matter for the PDF layout
            raise DemoGenerationError(f"DOCX demo documents do not support {kind!r} blocks")
    document.save(str(path))
    _normalise_zip(path)


def _write_pptx(spec: Spec, path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Pt

    deck = Presentation()
    _core_properties(deck.core_properties, spec)
    for index, slide_spec in enumerate(spec.slides):
        if index == 0:
            slide = deck.slides.add_slide(deck.slide_layouts[0])  # title slide
            slide.shapes.title.text = slide_spec.title
            slide.placeholders[1].text = "\n".join(slide_spec.lines)
            continue
        slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
        slide.shapes.title.text = slide_spec.title
        frame = slide.placeholders[1].text_frame
        frame.word_wrap = True
        size = Pt(24) if len(slide_spec.lines) <= 3 else Pt(20)
        for i, line in enumerate(slide_spec.lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.text = line
            paragraph.font.size = size
    deck.save(str(path))
    _normalise_zip(path)


# --------------------------------------------------------------------------------------------
# HTML, Markdown, plain text
# --------------------------------------------------------------------------------------------

_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.55;color:#1a1a1a}h1{color:#14468c}h2{color:#14468c;margin-top:1.6rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #888;padding:.3rem .6rem;text-align:left}"
)


def _write_html(spec: Spec, path: Path) -> None:
    esc = html.escape
    meta = spec.metadata
    out = [
        "<!doctype html>",
        f'<html lang="{esc(meta.get("language", "vi"))}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(meta['title'])}</title>",
        f'<meta name="description" content="{esc(meta.get("description", ""))}">',
        f'<meta name="author" content="{esc(content.AUTHOR)}">',
        f"<style>{_CSS}</style></head>",
        "<body><main>",
    ]
    in_list = False
    for kind, text in spec.blocks:
        if kind != "li" and in_list:
            out.append("</ul>")
            in_list = False
        if kind in ("h1", "h2", "p"):
            out.append(f"<{kind}>{esc(text)}</{kind}>")
        elif kind == "li":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{esc(text)}</li>")
        elif kind == "table":
            rows = spec.tables[int(text)]
            out.append(
                "<table><thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in rows[0]) + "</tr></thead><tbody>"
            )
            out.extend("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
            out.append("</tbody></table>")
    if in_list:
        out.append("</ul>")
    out.append("</main></body></html>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _plain_lines(spec: Spec, *, markdown: bool) -> Iterator[str]:
    for kind, text in spec.blocks:
        if kind == "h1":
            yield from ([f"# {text}", ""] if markdown else [text, "=" * len(text), ""])
        elif kind == "h2":
            yield from ([f"## {text}", ""] if markdown else [text, "-" * len(text), ""])
        elif kind == "p":
            yield from (text, "")
        elif kind == "li":
            yield f"- {text}"
        elif kind == "table":
            rows = spec.tables[int(text)]
            yield "| " + " | ".join(rows[0]) + " |"
            yield "|" + "---|" * len(rows[0])
            yield from ("| " + " | ".join(row) + " |" for row in rows[1:])
            yield ""


def _write_markdown(spec: Spec, path: Path) -> None:
    text = "\n".join(_plain_lines(spec, markdown=True))
    path.write_text(re.sub(r"(?m)^(- .*)\n(?=[^-\n])", r"\1\n\n", text).rstrip() + "\n", encoding="utf-8")


def _write_text(spec: Spec, path: Path) -> None:
    text = "\n".join(_plain_lines(spec, markdown=False))
    path.write_text(re.sub(r"(?m)^(- .*)\n(?=[^-\n])", r"\1\n\n", text).rstrip() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Sound
# --------------------------------------------------------------------------------------------

# Equal-tempered frequencies of the notes the tunes use (A4 = 440 Hz).
_NOTE_HZ = {"C4": 261.63, "D4": 293.66, "E4": 329.63, "G4": 392.00, "A4": 440.00, "C5": 523.25}


def _synthesise(
    notes: Sequence[tuple[str, float]], *, beat_s: float, accent_every: int, volume: float
) -> bytes:
    """Render notes (name, beats) as 16-bit mono PCM: a soft sine with a short fade in/out,
    plus a click on every ``accent_every``-th beat (the strong beat of the bar)."""
    samples: list[int] = []
    beat_index = 0.0
    for name, beats in notes:
        freq = _NOTE_HZ[name]
        count = int(beats * beat_s * AUDIO_RATE)
        fade = int(0.02 * AUDIO_RATE)
        for n in range(count):
            envelope = min(1.0, n / fade, (count - n) / fade)
            value = math.sin(2 * math.pi * freq * n / AUDIO_RATE) * 0.6
            value += math.sin(4 * math.pi * freq * n / AUDIO_RATE) * 0.15  # a little warmth
            samples.append(int(value * envelope * volume * 32767))
        if accent_every:
            # A 30 ms 1.5 kHz click at the start of each strong beat.
            start = len(samples) - count
            beat = beat_index
            while beat < beat_index + beats:
                if int(beat) % accent_every == 0:
                    first = start + int((beat - beat_index) * beat_s * AUDIO_RATE)
                    for n in range(int(0.03 * AUDIO_RATE)):
                        if first + n < len(samples):
                            click = math.sin(2 * math.pi * 1500 * n / AUDIO_RATE) * (
                                1 - n / (0.03 * AUDIO_RATE)
                            )
                            mixed = samples[first + n] + int(click * 0.35 * 32767)
                            samples[first + n] = max(-32768, min(32767, mixed))
                beat += 1
        beat_index += beats
    return b"".join(s.to_bytes(2, "little", signed=True) for s in samples)


def _write_wav(pcm: bytes, path: Path) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(AUDIO_RATE)
        out.writeframes(pcm)


def _ffmpeg() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel (or named by ``IMAGEIO_FFMPEG_EXE``)."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        # RuntimeError: no binary for this platform in the wheel and none on PATH.
        raise DemoGenerationError(f"no ffmpeg binary for the demo video and audio: {exc}") from exc


_BITEXACT = ["-fflags", "+bitexact", "-map_metadata", "-1"]


def _run_ffmpeg(args: list[str], *, stdin_frames: Iterator[bytes] | None = None) -> None:
    """Run ffmpeg, optionally streaming raw frames to its stdin; fail with ffmpeg's own words."""
    # -nostdin unless we feed frames: ffmpeg must never wait for keyboard input.
    quiet = ["-hide_banner", "-loglevel", "error", "-y"] + (["-nostdin"] if stdin_frames is None else [])
    command = [_ffmpeg(), *quiet, *args]
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE if stdin_frames is not None else subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        except OSError as exc:
            raise DemoGenerationError(f"could not start ffmpeg: {exc}") from exc
        try:
            if stdin_frames is not None and process.stdin is not None:
                try:
                    for frame in stdin_frames:
                        process.stdin.write(frame)
                except BrokenPipeError:
                    pass  # ffmpeg exited early; its stderr says why
                finally:
                    process.stdin.close()
            returncode = process.wait(timeout=FFMPEG_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            process.wait()
            raise DemoGenerationError(f"ffmpeg took more than {FFMPEG_TIMEOUT_S} s") from exc
        if returncode != 0:
            errors.seek(0)
            # ffmpeg's last lines name the cause; one line reads better in a JSON error.
            message = " ".join(errors.read().decode("utf-8", "replace").split())[-500:]
            raise DemoGenerationError(f"ffmpeg failed ({returncode}): {message}")


# A cheerful 8-bar tune in 2/4 (two beats per bar, 120 BPM): 16 beats = 8 s.
_RHYTHM_TUNE: tuple[tuple[str, float], ...] = (
    ("C4", 1), ("E4", 1), ("G4", 1), ("E4", 1),
    ("D4", 1), ("D4", 1), ("C4", 2),
    ("E4", 1), ("G4", 1), ("A4", 1), ("G4", 1),
    ("E4", 1), ("D4", 1), ("C4", 2),
)  # fmt: skip


def _write_audio(spec: Spec, path: Path) -> None:
    del spec  # one audio sample; its texts live in the metadata
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "tune.wav"
        _write_wav(_synthesise(_RHYTHM_TUNE, beat_s=0.5, accent_every=2, volume=0.8), wav)
        _run_ffmpeg(
            ["-i", str(wav), *_BITEXACT, "-flags:a", "+bitexact", "-c:a", "libmp3lame", "-b:a", "96k",
             "-ar", "44100", "-id3v2_version", "0", "-f", "mp3", str(path)]
        )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Drawing helpers (video frames and images)
# --------------------------------------------------------------------------------------------


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size=size)


def _arrow(
    draw: ImageDraw.ImageDraw,
    start: tuple[float, float],
    end: tuple[float, float],
    colour: RGB,
    width: int = 6,
) -> None:
    draw.line([start, end], fill=colour, width=width)
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    head = width * 3.2
    left = (end[0] - head * math.cos(angle - 0.45), end[1] - head * math.sin(angle - 0.45))
    right = (end[0] - head * math.cos(angle + 0.45), end[1] - head * math.sin(angle + 0.45))
    draw.polygon([end, left, right], fill=colour)


def _vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(size[1]):
        t = y / max(1, size[1] - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (size[0], y)], fill=colour)
    return image


# --------------------------------------------------------------------------------------------
# Video
# --------------------------------------------------------------------------------------------

_SLIDE_COLOURS: tuple[tuple[RGB, RGB], ...] = (
    ((20, 70, 140), (45, 120, 200)),
    ((250, 247, 236), (236, 230, 210)),
    ((235, 246, 240), (210, 235, 222)),
    ((252, 241, 230), (244, 222, 200)),
)


def _draw_triangle_figure(draw: ImageDraw.ImageDraw, progress: float) -> None:
    """A triangle with its base ``a`` and its height ``h`` drawn in as the scene plays."""
    ax, ay, bx, by, cx, cy = 400, 280, 610, 280, 470, 100
    draw.polygon([(ax, ay), (bx, by), (cx, cy)], fill=(255, 255, 255), outline=(20, 70, 140), width=4)
    draw.line([(ax, ay + 14), (bx, by + 14)], fill=(200, 60, 40), width=3)
    draw.text(((ax + bx) / 2, ay + 30), "a", font=_font(24, bold=True), fill=(200, 60, 40), anchor="mm")
    # The height grows from the apex down to the base during the first half of the scene.
    foot_y = cy + (ay - cy) * min(1.0, progress * 2)
    for y in range(cy, int(foot_y), 14):
        draw.line([(cx, y), (cx, min(y + 8, foot_y))], fill=(30, 130, 70), width=3)
    if progress >= 0.5:
        draw.rectangle([cx, ay - 14, cx + 14, ay], outline=(30, 130, 70), width=2)
        draw.text((cx + 22, (cy + ay) / 2), "h", font=_font(24, bold=True), fill=(30, 130, 70), anchor="lm")


def _video_frame(slide: Slide, index: int, progress: float, overall: float) -> Image.Image:
    width, height = VIDEO_SIZE
    top, bottom = _SLIDE_COLOURS[index % len(_SLIDE_COLOURS)]
    image = _vertical_gradient(VIDEO_SIZE, top, bottom)
    draw = ImageDraw.Draw(image)
    dark = index % len(_SLIDE_COLOURS) == 0
    ink = (255, 255, 255) if dark else (25, 25, 25)
    accent = (255, 214, 90) if dark else (20, 70, 140)
    if index == 0:
        draw.text((width / 2, 140), slide.title, font=_font(38, bold=True), fill=ink, anchor="mm")
        for i, line in enumerate(slide.lines):
            draw.text((width / 2, 200 + 36 * i), line, font=_font(22), fill=accent, anchor="mm")
    else:
        draw.text((32, 44), slide.title, font=_font(30, bold=True), fill=accent, anchor="lm")
        text_width = 340 if slide.figure else width - 64
        y = 100
        for i, line in enumerate(slide.lines):
            size = 26 if i == 0 and "=" in line else 19
            font = _font(size, bold=size > 20)
            for wrapped in _wrap(line, font, text_width):
                draw.text((32, y), wrapped, font=font, fill=ink)
                y += size + 12
        if slide.figure == "triangle":
            _draw_triangle_figure(draw, progress)
    # A progress bar, so the learner sees where they are in the lesson.
    draw.rectangle([0, height - 8, width, height], fill=(210, 210, 210))
    draw.rectangle([0, height - 8, round(width * overall), height], fill=(230, 90, 40))
    draw.text((width - 12, 12), "Hoclieu · học liệu mẫu", font=_font(12), fill=ink, anchor="rt")
    return image


def _video_frames(slides: Sequence[Slide]) -> Iterator[bytes]:
    total = sum(round(s.seconds * VIDEO_FPS_IN) for s in slides)
    done = 0
    for index, slide in enumerate(slides):
        count = round(slide.seconds * VIDEO_FPS_IN)
        for n in range(count):
            done += 1
            yield _video_frame(slide, index, n / max(1, count - 1), done / total).tobytes()


# Background music for the video: a calm arpeggio, quieter than the rhythm exercise.
_VIDEO_TUNE: tuple[tuple[str, float], ...] = (
    ("C4", 1), ("E4", 1), ("G4", 1), ("C5", 1), ("G4", 1), ("E4", 1),
    ("D4", 1), ("G4", 1), ("A4", 1), ("G4", 1), ("E4", 1), ("D4", 1),
    ("C4", 1), ("E4", 1), ("G4", 1), ("E4", 1), ("D4", 1), ("C4", 1),
    ("C4", 1), ("E4", 1), ("G4", 1), ("E4", 1), ("C4", 2),
)  # fmt: skip


def _write_video(spec: Spec, path: Path) -> None:
    seconds = sum(s.seconds for s in spec.slides)
    beats = sum(b for _, b in _VIDEO_TUNE)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "music.wav"
        _write_wav(_synthesise(_VIDEO_TUNE, beat_s=seconds / beats, accent_every=0, volume=0.35), wav)
        width, height = VIDEO_SIZE
        _run_ffmpeg(
            [
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
                "-framerate", str(VIDEO_FPS_IN), "-i", "pipe:0",
                "-i", str(wav),
                "-map", "0:v", "-map", "1:a", *_BITEXACT,
                "-flags:v", "+bitexact", "-flags:a", "+bitexact",
                "-r", str(VIDEO_FPS_OUT),
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-threads", "1",
                "-pix_fmt", "yuv420p", "-profile:v", "main", "-g", str(2 * VIDEO_FPS_OUT),
                "-c:a", "aac", "-b:a", "96k", "-ar", "44100", "-ac", "1",
                "-t", f"{seconds:.3f}", "-movflags", "+faststart", "-f", "mp4", str(path),
            ],
            stdin_frames=_video_frames(spec.slides),
        )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------


def _label(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    *,
    size: int = 26,
    colour: RGB = (20, 40, 80),
) -> None:
    """A text label on a white rounded box, readable over any background."""
    font = _font(size, bold=True)
    left, top, right, bottom = draw.textbbox(xy, text, font=font, anchor="mm")
    draw.rounded_rectangle(
        [left - 12, top - 8, right + 12, bottom + 8], radius=10, fill=(255, 255, 255), outline=colour, width=2
    )
    draw.text(xy, text, font=font, fill=colour, anchor="mm")


def _draw_water_cycle(spec: Spec, path: Path) -> None:
    del spec
    labels = content.WATER_CYCLE_LABELS
    size = (1200, 800)
    image = _vertical_gradient(size, (150, 205, 245), (235, 246, 255))
    draw = ImageDraw.Draw(image)
    # Sun, sea, mountain, land.
    draw.ellipse([70, 110, 210, 250], fill=(255, 205, 60), outline=(240, 160, 30), width=4)
    for k in range(12):
        a = k * math.pi / 6
        draw.line(
            [
                (140 + 85 * math.cos(a), 180 + 85 * math.sin(a)),
                (140 + 110 * math.cos(a), 180 + 110 * math.sin(a)),
            ],
            fill=(240, 160, 30),
            width=5,
        )
    draw.polygon([(0, 600), (520, 590), (600, 800), (0, 800)], fill=(40, 110, 190))
    for y in range(620, 800, 30):
        draw.arc([20, y, 120, y + 20], 200, 340, fill=(200, 230, 255), width=3)
        draw.arc([260, y + 10, 360, y + 30], 200, 340, fill=(200, 230, 255), width=3)
    draw.polygon([(480, 800), (560, 560), (760, 560), (1200, 560), (1200, 800)], fill=(110, 170, 90))
    draw.polygon([(700, 580), (930, 250), (1150, 580)], fill=(120, 110, 100))
    draw.polygon(
        [(880, 320), (930, 250), (985, 325), (955, 310), (930, 330), (905, 310)], fill=(250, 250, 250)
    )
    # The river runs from the mountain back to the sea.
    draw.line(
        [(930, 560), (880, 640), (760, 680), (640, 700), (540, 690)],
        fill=(40, 110, 190),
        width=18,
        joint="curve",
    )
    # Clouds.
    for cx, cy in ((560, 215), (820, 190)):
        for dx, dy, r in ((-70, 10, 50), (-20, -20, 65), (45, 0, 55), (0, 25, 55)):
            draw.ellipse(
                [cx + dx - r, cy + dy - r, cx + dx + r, cy + dy + r],
                fill=(245, 248, 252),
                outline=(190, 200, 215),
            )
    # Rain over the mountain.
    for i in range(12):
        x = 720 + i * 14
        y = 265 + (i % 3) * 18
        draw.line([(x, y), (x - 10, y + 40)], fill=(60, 120, 200), width=3)
    # Evaporation: wavy arrows rising from the sea.
    for base_x in (200, 330, 450):
        points = [(base_x + 10 * math.sin(t / 12), 580 - t) for t in range(0, 300, 6)]
        draw.line(points, fill=(230, 90, 40), width=5)
        _arrow(draw, points[-2], (points[-1][0], points[-1][1] - 18), (230, 90, 40), width=5)
    _arrow(draw, (650, 215), (725, 205), (90, 90, 90), width=5)  # the wind carries the clouds inland
    _arrow(draw, (640, 700), (555, 692), (40, 110, 190), width=8)
    _label(draw, (300, 430), labels["evaporation"], colour=(200, 70, 30))
    _label(draw, (690, 100), labels["condensation"])
    _label(draw, (1040, 200), labels["rain"], colour=(40, 90, 170))
    _label(draw, (760, 740), labels["runoff"], colour=(40, 90, 170))
    _label(draw, (140, 290), labels["sun"], size=22, colour=(180, 110, 0))
    _label(draw, (150, 740), labels["sea"], size=22, colour=(30, 80, 150))
    draw.text((600, 22), labels["title"], font=_font(34, bold=True), fill=(20, 50, 100), anchor="mt")
    draw.text((1188, 790), labels["footer"], font=_font(16), fill=(255, 255, 255), anchor="rs")
    image.save(path, format="PNG")


def _draw_photosynthesis(spec: Spec, path: Path) -> None:
    del spec
    labels = content.PHOTOSYNTHESIS_LABELS
    size = (1200, 800)
    image = _vertical_gradient(size, (250, 252, 240), (228, 242, 222))
    draw = ImageDraw.Draw(image)
    draw.text((600, 24), labels["title"], font=_font(36, bold=True), fill=(30, 90, 40), anchor="mt")
    # A leaf: an almond shape made of two arcs, with a midrib and veins.
    cx, cy, half_len, half_w = 600, 400, 230, 120
    upper = [
        (cx - half_len + t, cy - half_w * math.sin(math.pi * t / (2 * half_len)))
        for t in range(0, 2 * half_len + 1, 8)
    ]
    lower = [(x, 2 * cy - y) for x, y in reversed(upper)]
    draw.polygon(upper + lower, fill=(70, 160, 70), outline=(30, 100, 40))
    draw.line([(cx - half_len - 60, cy + 40), (cx + half_len, cy)], fill=(40, 110, 45), width=6)
    for k in range(1, 5):
        x = cx - half_len + k * 75
        draw.line([(x, cy + 8 - k * 3), (x + 50, cy - 70)], fill=(50, 125, 55), width=3)
        draw.line([(x, cy + 8 - k * 3), (x + 50, cy + 75)], fill=(50, 125, 55), width=3)
    _label(draw, (cx, cy - 165), labels["leaf"], size=22, colour=(30, 100, 40))
    # Sun and light.
    draw.ellipse([60, 90, 200, 230], fill=(255, 205, 60), outline=(240, 160, 30), width=4)
    for k in range(3):
        _arrow(draw, (210 + 20 * k, 220 + 30 * k), (400 + 20 * k, 300 + 25 * k), (235, 170, 20), width=6)
    _label(draw, (330, 125), labels["light"], size=22, colour=(170, 100, 0))
    # Inputs and outputs.
    _arrow(draw, (120, 420), (340, 410), (90, 90, 90), width=7)
    _label(draw, (210, 470), labels["co2"], size=22, colour=(70, 70, 70))
    _arrow(draw, (260, 610), (470, 470), (40, 110, 190), width=7)
    _label(draw, (190, 640), labels["water"], size=22, colour=(40, 90, 170))
    _arrow(draw, (800, 320), (1000, 220), (40, 150, 190), width=7)
    _label(draw, (1010, 180), labels["oxygen"], size=22, colour=(30, 110, 150))
    _arrow(draw, (820, 460), (1000, 560), (200, 110, 30), width=7)
    _label(draw, (990, 610), labels["glucose"], size=22, colour=(160, 80, 20))
    # The overall equation.
    font = _font(30, bold=True)
    draw.rounded_rectangle(
        [360, 690, 1040, 770], radius=14, fill=(255, 255, 255), outline=(30, 90, 40), width=3
    )
    draw.text((700, 716), labels["equation"], font=font, fill=(30, 60, 30), anchor="mm")
    draw.text((700, 752), labels["conditions"], font=_font(18), fill=(90, 90, 90), anchor="mm")
    draw.text((1188, 796), labels["footer"], font=_font(14), fill=(90, 90, 90), anchor="rs")
    # Fixed quality and no EXIF/ICC: the bytes only depend on the pixels and libjpeg.
    image.save(path, format="JPEG", quality=85, optimize=True)
