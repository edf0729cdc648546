"""Image thumbnails over the real corpus in ../shared/data/03_media: outputs or a clear reason, fast."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from ingest.processors.images import image_thumbnails
from ingest.processors.sandbox import ProcessingFailed

IMAGE_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".apng",
    ".gif",
    ".webp",
    ".tif",
    ".tiff",
    ".bmp",
    ".avif",
    ".heic",
    ".heif",
    ".psd",
    ".pcx",
    ".ico",
    ".nef",
    ".emf",
    ".wmf",
    ".svg",
    ".jxl",
}
# A representative slice for the default run (each file is one isolated child process).
QUICK = [
    "image/exif_orientation/Portrait_6.jpg",
    "image/pillow/pil_sample_cmyk.jpg",
    "image/pillow/16bit.cropped.tif",
    "image/pillow/iss634.apng",
    "image/testWebp_Alpha_Lossless.webp",
    "image/pillow/truncated_jpeg.jpg",
    "image/testSVG.svg",
]


def _images(root: Path) -> list[Path]:
    media = root / "03_media"
    files = [p for p in (media / "image").rglob("*") if p.is_file()]
    files += [p for p in (media / "minimal_files").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files)


def _assert_clear_reason(reason: str) -> None:
    """A reason a person reads: short, no traceback, not a bare exception name."""
    assert reason
    assert "Traceback" not in reason
    assert len(reason) < 200


def _assert_outcome(path: Path, out: Path) -> None:
    started = time.monotonic()
    try:
        results = image_thumbnails(path, out, timeout_s=30)
    except ProcessingFailed as exc:
        _assert_clear_reason(exc.reason)
    else:
        assert [r.label for r in results] == ["small", "large"]
        for r in results:
            assert r.kind == "thumbnail"
            assert r.media_type == "image/webp"
            with Image.open(r.path) as im:
                assert im.format == "WEBP"
                assert im.size == (r.width, r.height)
            assert r.width is not None
            assert r.width <= (160 if r.label == "small" else 480)
    assert time.monotonic() - started < 30


class TestImageThumbnails:
    @pytest.mark.parametrize("rel", QUICK)
    def test_representative_files_end_with_thumbnails_or_reason(
        self, shared_data: Path, tmp_path: Path, rel: str
    ):
        _assert_outcome(shared_data / "03_media" / rel, tmp_path)

    @pytest.mark.slow
    def test_every_corpus_image_ends_with_thumbnails_or_reason(self, shared_data: Path, tmp_path: Path):
        files = _images(shared_data)
        assert len(files) > 60
        for i, path in enumerate(files):
            out = tmp_path / str(i)
            out.mkdir()
            _assert_outcome(path, out)

    @pytest.mark.parametrize(
        ("name", "landscape"),
        [
            ("Landscape_0.jpg", True),
            ("Landscape_3.jpg", True),
            ("Landscape_7.jpg", True),  # stored 1200x1800, EXIF says rotate: shown 1800x1200
            ("Landscape_8.jpg", True),
            ("Portrait_1.jpg", False),
            ("Portrait_6.jpg", False),  # stored 1800x1200, shown upright 1200x1800
            ("Portrait_8.jpg", False),
        ],
    )
    def test_exif_orientation_comes_out_upright(
        self, shared_data: Path, tmp_path: Path, name: str, landscape: bool
    ):
        results = image_thumbnails(shared_data / "03_media/image/exif_orientation" / name, tmp_path)
        large = results[1]
        assert large.width is not None
        assert large.height is not None
        assert (large.width > large.height) is landscape
        assert (large.width, large.height) == ((480, 320) if landscape else (480, 720))

    def test_exif_orientation_6_rotates_pixels_not_just_size(self, tmp_path: Path):
        # Our own fixture: a red left half stored with orientation 6 (rotate 90° clockwise to
        # view), so upright the red half must be on top.
        im = Image.new("RGB", (200, 100), (0, 0, 255))
        im.paste((255, 0, 0), (0, 0, 100, 100))
        exif = Image.Exif()
        exif[0x0112] = 6
        src = tmp_path / "o6.jpg"
        im.save(src, exif=exif, quality=95)
        out = tmp_path / "out"
        out.mkdir()
        large = image_thumbnails(src, out)[1]
        with Image.open(large.path) as thumb:
            assert thumb.size == (100, 200)
            r, _g, b = thumb.convert("RGB").getpixel((50, 40))  # type: ignore[misc]  # RGB: a 3-tuple
            assert r > 200
            assert b < 60

    def test_decompression_bomb_fails_fast_from_the_header(self, shared_data: Path, tmp_path: Path):
        started = time.monotonic()
        with pytest.raises(ProcessingFailed) as info:
            image_thumbnails(shared_data / "03_media/image/pillow/reallybig.bmp", tmp_path)
        assert time.monotonic() - started < 5
        assert "3000000×2000000 pixels" in info.value.reason  # noqa: RUF001
        assert "megapixel limit" in info.value.reason
        assert not info.value.transient

    def test_truncated_image_has_a_clear_reason(self, shared_data: Path, tmp_path: Path):
        with pytest.raises(ProcessingFailed, match="truncated"):
            image_thumbnails(shared_data / "03_media/image/pillow/truncated_image.png", tmp_path)

    def test_cmyk_and_16bit_become_rgb_webp(self, shared_data: Path, tmp_path: Path):
        for rel in ("image/pillow/pil_sample_cmyk.jpg", "image/pillow/16bit.cropped.tif"):
            small = image_thumbnails(shared_data / "03_media" / rel, tmp_path)[0]
            with Image.open(small.path) as im:
                assert im.mode == "RGB"
                lo, hi = im.convert("L").getextrema()
                assert hi - lo > 32, f"{rel} lost its contrast"  # type: ignore[operator]  # one band

    def test_alpha_is_kept(self, shared_data: Path, tmp_path: Path):
        small = image_thumbnails(shared_data / "03_media/image/testWebp_Alpha_Lossless.webp", tmp_path)[0]
        with Image.open(small.path) as im:
            assert im.mode == "RGBA"

    def test_heic_is_read_or_refused_with_reason(self, shared_data: Path, tmp_path: Path):
        try:
            import pillow_heif  # noqa: F401
        except ImportError:
            with pytest.raises(ProcessingFailed, match="HEIC"):
                image_thumbnails(shared_data / "03_media/image/sample_still_photo.heic", tmp_path)
        else:
            large = image_thumbnails(shared_data / "03_media/image/sample_still_photo.heic", tmp_path)[1]
            assert (large.width, large.height) == (480, 853)

    def test_rerun_overwrites_the_same_files(self, shared_data: Path, tmp_path: Path):
        src = shared_data / "03_media/image/testGIF.gif"
        first = image_thumbnails(src, tmp_path)
        second = image_thumbnails(src, tmp_path)
        assert [r.path for r in first] == [r.path for r in second]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["thumb-large.webp", "thumb-small.webp"]
