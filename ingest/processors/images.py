"""Image thumbnails: WebP in two sizes, upright, in sRGB, made in a child process with limits.

Uploaded images are hostile in ordinary ways (phone photos stored sideways with an EXIF
orientation, CMYK print files, 16-bit scientific TIFFs, palette GIFs with transparency, animated
PNG/GIF/WebP) and in malicious ones (a 57-byte BMP declaring 3,000,000x2,000,000 pixels, a
truncated JPEG). The pixel count is checked from the header *before* any pixel is decoded, and the
decode runs under a warm child of :mod:`ingest.processors.pool` with a memory limit, so neither
kind can take the worker down.

HEIC/HEIF is read when ``pillow-heif`` is installed; AVIF and WebP come with Pillow itself.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ingest.processors.outputs import DerivativeOut
from ingest.processors.sandbox import ProcessingFailed

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "DEFAULT_MAX_MEGAPIXELS",
    "DEFAULT_WIDTHS",
    "image_thumbnails",
    "save_thumbnails",
    "to_web_mode",
]

# Thumbnail widths: a browse grid cell and a detail page / retina grid cell.
DEFAULT_WIDTHS: tuple[int, ...] = (160, 480)
SIZE_LABELS = {0: "small", 1: "large"}
# Measured: decoding the corpus's 16000x9000 (144 MP) WebP takes 7 s and 2.2 GB RSS (libwebp's
# RGBA buffer plus Pillow's copy). 100 MP (~Pillow's 89 MP warning level) keeps a decode near
# 1 GB and a few seconds. JPEG is measured after draft scaling (see _thumbnails_child).
DEFAULT_MAX_MEGAPIXELS = 100
WEBP_QUALITY = 80


def image_thumbnails(
    path: str | Path,
    out_dir: str | Path,
    *,
    widths: Sequence[int] = DEFAULT_WIDTHS,
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS,
    prefix: str = "thumb",
    timeout_s: float = 60,
    memory_mb: int = 1536,
) -> list[DerivativeOut]:
    """Write WebP thumbnails of an image, one per width, and describe them.

    Args:
        path: the image (any format Pillow reads, plus HEIC with pillow-heif).
        out_dir: existing directory to write ``<prefix>-small.webp``, ``<prefix>-large.webp``.
        widths: target widths, smallest first; an image is never enlarged, and a very tall one
            is fitted into ``width x 2·width``.
        max_megapixels: images whose header declares more pixels fail before decoding.
        prefix: file name prefix (re-runs overwrite the same names: idempotent).
        timeout_s, memory_mb: limits for the decoding child process.

    Returns:
        One ``thumbnail`` :class:`DerivativeOut` per width with its pixel size and label
        ``small``/``large``.

    Raises:
        ProcessingFailed: unsupported or damaged image, too many pixels, or limits exceeded.
    """
    # A warm child (same limits as a one-off one) saves the process start on every image.
    from ingest.processors.pool import worker_process

    rows = worker_process("images", memory_mb=memory_mb).call(
        _thumbnails_child,
        str(path),
        str(out_dir),
        tuple(widths),
        int(max_megapixels * 1_000_000),
        prefix,
        timeout_s=timeout_s,
        label="image decoding",
    )
    return [
        DerivativeOut(kind="thumbnail", path=Path(p), media_type="image/webp", width=w, height=h, label=label)
        for p, w, h, label in rows
    ]


def _register_heif() -> bool:
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def _unsupported_reason(path: str, heif: bool) -> str:
    """Name the format Pillow could not identify, so the reason says what to do about it."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    lower = head.lower()
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc", b"heim", b"heis"):
        if not heif:
            return "HEIC/HEIF images cannot be read on this server (pillow-heif is not installed)"
        return "the HEIC/HEIF image is damaged or uses an unsupported variant"
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL ")):
        return "JPEG XL images cannot be read on this server"
    if b"<svg" in lower or (lower.lstrip().startswith(b"<?xml") and b"svg" in lower):
        return "SVG is a vector drawing; no raster thumbnail is made from it"
    if not head:
        return "the image file is empty"
    return "not a recognised image format"


def _check_pixels(width: int, height: int, max_pixels: int, declared: tuple[int, int]) -> None:
    """Fail on the header's numbers, before a single pixel is decoded."""
    dw, dh = declared
    if width <= 0 or height <= 0:
        raise ProcessingFailed(f"the image header declares an impossible size ({dw}×{dh} pixels)")  # noqa: RUF001
    if width * height > max_pixels:
        raise ProcessingFailed(
            f"image is {dw}×{dh} pixels, more than the {max_pixels / 1_000_000:g}-megapixel limit"  # noqa: RUF001
        )


def _load_reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "truncated" in text:
        return "the image data is truncated (the file was cut off)"
    if "wmf" in text or "emf" in text:
        return "Windows metafile (WMF/EMF) drawings cannot be rendered on this server"
    if "decoder" in text and "not available" in text:
        return "the image uses a compression this server cannot decode"
    return "the image data is damaged and cannot be decoded"


def _thumbnails_child(
    path: str, out_dir: str, widths: tuple[int, ...], max_pixels: int, prefix: str
) -> list[tuple[str, int, int, str]]:
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    # Our header check below replaces Pillow's bomb guard with a reason a person can read.
    Image.MAX_IMAGE_PIXELS = None
    heif = _register_heif()
    with warnings.catch_warnings():
        # EXIF/ICC/MPO chatter from odd files is not a failure; real damage raises below.
        warnings.simplefilter("ignore")
        try:
            im = Image.open(path)
        except UnidentifiedImageError:
            raise ProcessingFailed(_unsupported_reason(path, heif)) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ProcessingFailed("the image header is damaged", detail=repr(exc)) from None
        with im:
            declared = im.size
            if im.format == "JPEG" and declared[0] > 0 and declared[1] > 0:
                # JPEG decodes at 1/2..1/8 scale in the DCT (draft), so what counts against the
                # limit is the *decoded* size: a 200 MP phone photo loads as 3 MP, 30x faster.
                target = max(widths) * 2
                im.draft(im.mode, (target, target))
            _check_pixels(im.width, im.height, max_pixels, declared)
            try:
                im.load()  # animated/multi-page formats load their first frame
            except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
                raise ProcessingFailed(_load_reason(exc), detail=repr(exc)) from None
            try:
                upright = ImageOps.exif_transpose(im)
            except (ValueError, TypeError, KeyError, OSError, SyntaxError):
                upright = im  # unreadable EXIF: show the pixels as stored rather than fail
            web = to_web_mode(upright if upright is not None else im)
            return save_thumbnails(web, Path(out_dir), widths, prefix)


def to_web_mode(im: Image.Image) -> Image.Image:
    """Convert any Pillow image to 8-bit sRGB ``RGB`` or ``RGBA`` for WebP.

    Palette and grey images with transparency keep it; 16-bit and float images are stretched
    from their actual range (a 12-bit scan in a 16-bit container is not nearly black); images
    with an embedded ICC profile (CMYK print files, Display P3 phone photos) are converted to
    sRGB through it.
    """

    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        f = im.convert("F") if mode != "F" else im
        lo, hi = cast("tuple[float, float]", f.getextrema())
        scale = 255.0 / (hi - lo) if hi > lo else 1.0
        return f.point(lambda v: (v - lo) * scale).convert("L").convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "La", "RGBa", "PA") or (mode == "P" and "transparency" in im.info)
    target = "RGBA" if has_alpha else "RGB"
    icc = im.info.get("icc_profile")
    if icc and mode in ("RGB", "RGBA", "CMYK"):
        converted = _icc_to_srgb(im, icc, target)
        if converted is not None:
            return converted
    if mode == target:
        return im
    if mode == "P" and has_alpha:
        return im.convert("RGBA")
    if mode in ("LA", "La", "RGBa", "PA"):
        return im.convert("RGBA")
    return im.convert(target) if mode != "1" else im.convert("L").convert(target)


def _icc_to_srgb(im: Image.Image, icc: bytes, target: str) -> Image.Image | None:
    from PIL import ImageCms

    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.createProfile("sRGB")
        if im.mode == "RGBA":
            return ImageCms.profileToProfile(im, src, dst, outputMode="RGBA")
        out = ImageCms.profileToProfile(im, src, dst, outputMode="RGB")
        return out.convert(target) if out is not None and target != "RGB" else out
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile: plain conversion is better than no thumbnail


def save_thumbnails(
    im: Image.Image, out_dir: Path, widths: Sequence[int], prefix: str
) -> list[tuple[str, int, int, str]]:
    """Resize ``im`` (already RGB/RGBA) to each width and save WebP files.

    Runs inside a child process (images, posters, cover art, PDF pages): returns plain tuples
    ``(path, width, height, label)`` that pickle cheaply.
    """
    from PIL import Image

    rows: list[tuple[str, int, int, str]] = []
    source = im
    # Largest first, each next size made from the previous one: resizing a 144 MP image once.
    order = sorted(range(len(widths)), key=lambda i: -widths[i])
    made: dict[int, tuple[str, int, int, str]] = {}
    for i in order:
        w = widths[i]
        thumb = source.copy()
        thumb.thumbnail((w, 2 * w), Image.Resampling.LANCZOS, reducing_gap=3.0)
        label = SIZE_LABELS.get(i, f"w{w}") if len(widths) <= 2 else f"w{w}"
        target = out_dir / f"{prefix}-{label}.webp"
        thumb.save(target, "WEBP", quality=WEBP_QUALITY, method=4)
        made[i] = (str(target), thumb.width, thumb.height, label)
        source = thumb
    for i in range(len(widths)):
        rows.append(made[i])
    return rows
