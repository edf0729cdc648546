"""PDF page thumbnails/previews over the real corpus, and typed placeholders."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from ingest.processors.sandbox import ProcessingFailed
from ingest.processors.thumbnails import placeholder_thumbnails, render_pdf

ROBUSTNESS = "02_format_robustness"


class TestRenderPdf:
    def test_thumbnails_of_page_one_and_a_preview_per_page(self, shared_data: Path, tmp_path: Path):
        src = shared_data / ROBUSTNESS / "py-pdf-sample-files/004-pdflatex-4-pages_pdflatex-4-pages.pdf"
        results = render_pdf(src, tmp_path)
        thumbs = [r for r in results if r.kind == "thumbnail"]
        previews = [r for r in results if r.kind == "preview"]
        assert [(t.label, t.page, t.width) for t in thumbs] == [("small", 1, 160), ("large", 1, 480)]
        assert [p.page for p in previews] == [1, 2, 3, 4]
        for r in results:
            with Image.open(r.path) as im:
                assert im.format == "WEBP"
                assert im.size == (r.width, r.height)
            assert r.height is not None
            assert r.width is not None
            assert r.height > r.width
        assert all(p.width == 1000 for p in previews)

    def test_page_count_cap(self, shared_data: Path, tmp_path: Path):
        src = shared_data / ROBUSTNESS / "pdfjs/tracemonkey.pdf"
        results = render_pdf(src, tmp_path, max_pages=2)
        assert [r.page for r in results if r.kind == "preview"] == [1, 2]

    def test_thumbnails_only(self, shared_data: Path, tmp_path: Path):
        results = render_pdf(shared_data / ROBUSTNESS / "pdfjs/tracemonkey.pdf", tmp_path, previews=False)
        assert [r.kind for r in results] == ["thumbnail", "thumbnail"]

    @pytest.mark.parametrize(
        "name", ["tika/testPassword4Spaces.pdf", "tika/testPDF_no_extract_no_accessibility_owner_user.pdf"]
    )
    def test_password_protected_pdf_has_a_clear_reason(self, shared_data: Path, tmp_path: Path, name: str):
        with pytest.raises(ProcessingFailed, match=r"^PDF is password-protected$") as info:
            render_pdf(shared_data / ROBUSTNESS / name, tmp_path)
        assert not info.value.transient

    def test_pdf_with_empty_user_password_renders(self, shared_data: Path, tmp_path: Path):
        results = render_pdf(shared_data / ROBUSTNESS / "pdfjs/empty_protected.pdf", tmp_path)
        assert results[0].kind == "thumbnail"

    def test_truncated_pdf_fails_or_renders_without_hanging(self, shared_data: Path, tmp_path: Path):
        full = (shared_data / ROBUSTNESS / "pdfjs/tracemonkey.pdf").read_bytes()
        cut = tmp_path / "cut.pdf"
        cut.write_bytes(full[: len(full) // 3])
        out = tmp_path / "out"
        out.mkdir()
        started = time.monotonic()
        try:
            results = render_pdf(cut, out, max_pages=3)
        except ProcessingFailed as exc:
            failure: str | None = exc.reason
        else:
            failure = None
            assert results[0].kind == "thumbnail"  # pdfium rebuilt the cross-reference table
        assert time.monotonic() - started < 20
        if failure is not None:
            assert "PDF" in failure
            assert "Traceback" not in failure

    def test_not_a_pdf(self, shared_data: Path, tmp_path: Path):
        with pytest.raises(ProcessingFailed, match="damaged or not a PDF"):
            render_pdf(shared_data / "03_media/audio/sample.wav", tmp_path)

    @pytest.mark.slow
    def test_every_corpus_pdf_ends_with_outputs_or_reason(self, shared_data: Path, tmp_path: Path):
        files = sorted((shared_data / ROBUSTNESS).rglob("*.pdf"))
        assert len(files) > 40
        reasons: list[str] = []
        for i, src in enumerate(files):
            out = tmp_path / str(i)
            out.mkdir()
            started = time.monotonic()
            try:
                results = render_pdf(src, out, max_pages=5)
            except ProcessingFailed as exc:
                reasons.append(exc.reason)
            else:
                assert results[0].kind == "thumbnail"
                assert results[0].page == 1
            assert time.monotonic() - started < 30, src.name
        for reason in reasons:
            assert reason
            assert "Traceback" not in reason
            assert len(reason) < 200


class TestPlaceholder:
    @pytest.mark.parametrize("label", ["PDF", "DOCX", "Âm thanh", "Tài liệu nén"])
    def test_typed_placeholder_in_two_sizes(self, tmp_path: Path, label: str):
        results = placeholder_thumbnails(label, tmp_path)
        assert [(r.label, r.width, r.height) for r in results] == [("small", 160, 120), ("large", 480, 360)]
        for r in results:
            with Image.open(r.path) as im:
                assert im.format == "WEBP"
                assert im.size == (r.width, r.height)
                # The label is drawn: white text pixels on the coloured card.
                assert im.convert("L").getextrema()[1] > 200  # type: ignore[operator]  # one band: two numbers
