from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image

from ingest.processors.epub import epub_cover_thumbnails


def _epub(path: Path, *, opf_extra: str, manifest: str, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip")
        zf.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        zf.writestr(
            "OEBPS/content.opf",
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Tiếng Việt 5</dc:title>{opf_extra}'
            f"</metadata><manifest>{manifest}</manifest></package>",
        )
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "teal").save(buf, "PNG")
    return buf.getvalue()


class TestEpubCover:
    def test_epub3_cover_image_becomes_thumbnails(self, tmp_path: Path) -> None:
        book = _epub(
            tmp_path / "b.epub",
            opf_extra="",
            manifest='<item id="c" href="img/bia.png" media-type="image/png" properties="cover-image"/>',
            files={"OEBPS/img/bia.png": _png(600, 900)},
        )
        out = tmp_path / "out"
        out.mkdir()
        thumbs = epub_cover_thumbnails(book, out)
        assert {t.label for t in thumbs} == {"small", "large"}
        assert all(t.kind == "thumbnail" and t.height and t.width and t.height > t.width for t in thumbs)

    def test_epub2_meta_cover(self, tmp_path: Path) -> None:
        book = _epub(
            tmp_path / "b.epub",
            opf_extra='<meta name="cover" content="bia"/>',
            manifest='<item id="bia" href="bia.png" media-type="image/png"/>',
            files={"OEBPS/bia.png": _png(300, 400)},
        )
        out = tmp_path / "out"
        out.mkdir()
        assert len(epub_cover_thumbnails(book, out)) == 2

    def test_no_cover_or_hostile_path_gives_nothing(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        out.mkdir()
        none = _epub(tmp_path / "a.epub", opf_extra="", manifest="", files={})
        escape = _epub(
            tmp_path / "e.epub",
            opf_extra="",
            manifest='<item id="c" href="../../x.png" media-type="image/png" properties="cover-image"/>',
            files={"x.png": _png(10, 10)},
        )
        assert epub_cover_thumbnails(none, out) == []
        assert epub_cover_thumbnails(escape, out) == []
        (tmp_path / "broken.epub").write_bytes(b"PK\x03\x04 not really")
        assert epub_cover_thumbnails(tmp_path / "broken.epub", out) == []

    def test_real_epub_from_the_corpus(self, shared_data: Path, tmp_path: Path) -> None:
        out = tmp_path / "out"
        out.mkdir()
        # The Tika test book may or may not carry a cover; either way nothing breaks.
        result = epub_cover_thumbnails(shared_data / "02_format_robustness/tika/testEPUB.epub", out)
        assert all(t.media_type == "image/webp" for t in result)
