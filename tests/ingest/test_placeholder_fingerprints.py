"""Placeholder thumbnails: drawn once per process, and never taken for a picture of the content."""

from __future__ import annotations

from pathlib import Path

import docx

from ingest.pipeline import process_path
from ingest.processors.thumbnails import _placeholder_webp, placeholder_thumbnails


def _docx(path: Path, text: str) -> Path:
    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


def _rtf(path: Path, text: str) -> Path:
    path.write_text(
        "{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Arial;}} \\f0 " + text + "\\par}", encoding="ascii"
    )
    return path


class TestPlaceholders:
    def test_two_different_documents_with_placeholder_cards_get_no_image_fingerprint(
        self, tmp_path: Path
    ) -> None:
        outcomes = []
        for n, text in enumerate(("Bai 1. Phan so thap phan.", "Bai 7. Dien tich hinh tam giac.")):
            work = tmp_path / f"w{n}"
            work.mkdir()
            path = _rtf(tmp_path / f"bai-{n}.rtf", text)
            outcomes.append(process_path(path, path.name, None, work, lambda _f: None))
        for outcome in outcomes:
            assert outcome.info.get("placeholder_thumbnail") is True
            assert any(d.kind == "thumbnail" for d in outcome.derivatives)
            # Identical cards would otherwise make every such pair a "near-duplicate".
            assert "image" not in outcome.fingerprints

    def test_a_blank_embedded_thumbnail_gives_no_image_fingerprint(self, tmp_path: Path) -> None:
        # python-docx's template embeds a blank page as the document's thumbnail.
        path = _docx(tmp_path / "bai.docx", "Bài 1. Phân số thập phân.")
        work = tmp_path / "w"
        work.mkdir()
        outcome = process_path(path, path.name, None, work, lambda _f: None)
        assert any(d.kind == "thumbnail" for d in outcome.derivatives)
        assert "image" not in outcome.fingerprints

    def test_cards_are_encoded_once_and_written_identically(self, tmp_path: Path) -> None:
        _placeholder_webp.cache_clear()
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        first = placeholder_thumbnails("DOC", tmp_path / "a")
        second = placeholder_thumbnails("DOC", tmp_path / "b")
        info = _placeholder_webp.cache_info()
        assert info.misses == 2  # small and large, drawn once
        assert info.hits == 2
        for a, b in zip(first, second, strict=True):
            assert a.path.read_bytes() == b.path.read_bytes()
            assert a.path.read_bytes()[:4] == b"RIFF"
            assert (a.width, a.height, a.label) == (b.width, b.height, b.label)
