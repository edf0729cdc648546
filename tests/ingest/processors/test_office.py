"""Office documents: LibreOffice PDF renditions of real teacher files, and embedded OOXML/ODF previews."""

from __future__ import annotations

import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from PIL import Image

from ingest.processors.office import convert_to_pdf, embedded_thumbnail
from ingest.processors.sandbox import ProcessingFailed
from ingest.processors.text import extract_text
from tests.conftest import skip_or_fail

TEACHER = "01_vietnamese_edu/giaoan_teacher_docs_huytt"
ROBUST = "02_format_robustness"


@pytest.fixture
def soffice() -> None:
    if shutil.which("soffice") is None:
        skip_or_fail("LibreOffice is not installed (apt libreoffice-writer-nogui libreoffice-impress-nogui)")


def _pdf_pages(path: Path) -> int:
    pdf = pdfium.PdfDocument(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


@pytest.mark.usefixtures("soffice")
class TestConvertToPdf:
    def test_teacher_doc_becomes_a_pdf_with_its_vietnamese_text(
        self, shared_data: Path, tmp_path: Path
    ) -> None:
        out = convert_to_pdf(shared_data / TEACHER / "Đề 1.doc", tmp_path)
        assert out is not None
        assert out.kind == "pdf"
        assert out.media_type == "application/pdf"
        assert out.path == tmp_path / "document.pdf"
        assert _pdf_pages(out.path) >= 1
        text = extract_text(out.path, "application/pdf").text
        assert "TÔ MÌ CỦA NGƯỜI LẠ" in text

    def test_legacy_font_slides_from_a_blob_without_extension(
        self, shared_data: Path, tmp_path: Path
    ) -> None:
        # Stored blobs are named by key, not by the upload's name.
        blob = tmp_path / "blob" / "4f2a9c"
        blob.parent.mkdir()
        shutil.copyfile(shared_data / TEACHER / "KIM CHI 1.ppt", blob)
        outdir = tmp_path / "out"
        outdir.mkdir()
        out = convert_to_pdf(blob, outdir)
        assert out is not None
        text = extract_text(out.path, "application/pdf").text
        assert "phong trào Đông Du" in text

    @pytest.mark.parametrize("relpath", ["python-pptx/sld-notes.pptx", "python-docx/having-images.docx"])
    def test_python_corpus_documents_convert(self, shared_data: Path, tmp_path: Path, relpath: str) -> None:
        out = convert_to_pdf(shared_data / ROBUST / relpath, tmp_path)
        assert out is not None
        assert out.size > 1000
        assert _pdf_pages(out.path) >= 1

    def test_damaged_document_fails_with_a_reason(self, shared_data: Path, tmp_path: Path) -> None:
        with pytest.raises(ProcessingFailed) as info:
            convert_to_pdf(shared_data / ROBUST / "tika/testWORD_truncated.docx", tmp_path)
        assert info.value.reason == "LibreOffice could not open the document (damaged or not an Office file)"
        assert not (tmp_path / "document.pdf").exists()

    def test_time_limit_is_enforced(self, shared_data: Path, tmp_path: Path) -> None:
        with pytest.raises(ProcessingFailed) as info:
            convert_to_pdf(shared_data / TEACHER / "Đề 1.doc", tmp_path, timeout_s=0.05)
        assert info.value.reason == "PDF conversion (LibreOffice) took longer than 0.05 s"

    def test_concurrent_conversions_of_same_named_files_do_not_collide(
        self, shared_data: Path, tmp_path: Path
    ) -> None:
        sources = [shared_data / TEACHER / "Đề 1.doc", shared_data / TEACHER / "Đề 2.doc"]
        outdirs = []
        for i in range(2):
            (tmp_path / str(i)).mkdir()
            outdirs.append(tmp_path / str(i))
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(convert_to_pdf, sources, outdirs))
        assert all(r is not None for r in results)
        texts = [extract_text(r.path, "application/pdf").text for r in results if r is not None]
        assert "TÔ MÌ CỦA NGƯỜI LẠ" in texts[0]
        assert "TÔ MÌ CỦA NGƯỜI LẠ" not in texts[1]


class TestWithoutLibreOffice:
    def test_returns_none_when_soffice_is_not_on_path(
        self, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PATH", str(tmp_path))
        assert convert_to_pdf(shared_data / TEACHER / "Đề 1.doc", tmp_path) is None


class TestEmbeddedThumbnail:
    @pytest.mark.parametrize(
        "relpath",
        [
            f"{ROBUST}/python-docx/test.docx",
            f"{ROBUST}/python-pptx/cht-charts.pptx",
            f"{TEACHER}/DongHo.pptm",
            f"{ROBUST}/tika/testODTEmbedded.odt",
        ],
    )
    def test_raster_preview_becomes_webp_thumbnails(
        self, shared_data: Path, tmp_path: Path, relpath: str
    ) -> None:
        thumbs = embedded_thumbnail(shared_data / relpath, tmp_path)
        assert [t.label for t in thumbs] == ["small", "large"]
        for t in thumbs:
            assert t.kind == "thumbnail"
            assert t.media_type == "image/webp"
            with Image.open(t.path) as im:
                assert im.format == "WEBP"
                assert (im.width, im.height) == (t.width, t.height)
        assert thumbs[0].width is not None
        assert thumbs[0].width <= 160
        assert sorted(p.name for p in tmp_path.iterdir()) == ["thumb-large.webp", "thumb-small.webp"]

    @pytest.mark.parametrize(
        "relpath",
        [
            "tika/testDOCX_Thumbnail.docx",  # EMF preview: vector, not rendered here
            "tika/testXLSX_Thumbnail.xlsx",  # WMF preview
            "tika/testWORD_truncated.docx",  # not a readable zip
        ],
    )
    def test_no_raster_preview_gives_nothing(self, shared_data: Path, tmp_path: Path, relpath: str) -> None:
        assert embedded_thumbnail(shared_data / ROBUST / relpath, tmp_path) == []

    def test_legacy_binary_document_has_no_embedded_preview(self, shared_data: Path, tmp_path: Path) -> None:
        assert embedded_thumbnail(shared_data / TEACHER / "Đề 1.doc", tmp_path) == []

    def test_preview_named_by_relationship_and_damaged_preview(self, tmp_path: Path) -> None:
        png = tmp_path / "p.png"
        Image.new("RGB", (300, 200), (200, 30, 30)).save(png)
        rels = (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/thumbnail" Target="/media/preview.png"/></Relationships>'
        )
        doc = tmp_path / "doc.docx"
        with zipfile.ZipFile(doc, "w") as zf:
            zf.writestr("_rels/.rels", rels)
            zf.write(png, "media/preview.png")
        out = tmp_path / "out"
        out.mkdir()
        thumbs = embedded_thumbnail(doc, out)
        assert [(t.width, t.height) for t in thumbs] == [(160, 107), (300, 200)]

        broken = tmp_path / "broken.docx"
        with zipfile.ZipFile(broken, "w") as zf:
            zf.writestr("docProps/thumbnail.jpeg", b"\xff\xd8\xff\xe0 not really a jpeg")
        assert embedded_thumbnail(broken, out) == []
