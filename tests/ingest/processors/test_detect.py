"""Type detection from content (real corpus files, plus packages generated here)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from ingest.processors.detect import EMPTY, HTML5_PACKAGE, SCORM, detect_media_type

OXML = "application/vnd.openxmlformats-officedocument."
DOCX = f"{OXML}wordprocessingml.document"
TEACHER = "01_vietnamese_edu/giaoan_teacher_docs_huytt"


class TestDetectMediaType:
    @pytest.mark.parametrize(
        ("relpath", "expected"),
        [
            ("02_format_robustness/tika/testWORD.doc", "application/msword"),
            ("02_format_robustness/tika/testPPT.ppt", "application/vnd.ms-powerpoint"),
            ("02_format_robustness/tika/testEXCEL_5.xls", "application/vnd.ms-excel"),
            ("02_format_robustness/tika/testWORD.docx", DOCX),
            (
                "02_format_robustness/tika/testEXCEL_template.xltx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
            ),
            ("02_format_robustness/tika/testEPUB.epub", "application/epub+zip"),
            ("02_format_robustness/tika/testOpenOffice2.odt", "application/vnd.oasis.opendocument.text"),
            ("02_format_robustness/tika/testPDF.pdf", "application/pdf"),
            ("02_format_robustness/tika/testRTF.rtf", "application/rtf"),
            ("02_format_robustness/tika/quine.gz", "application/gzip"),
            ("02_format_robustness/tika/test-documents.zip", "application/zip"),
            ("02_format_robustness/tika/testHTML_embedded_img.html", "text/html"),
            ("02_format_robustness/tika/testTXTNonASCIIUTF8.txt", "text/plain"),
            ("02_format_robustness/minimal_files/markdown.md", EMPTY),
            (
                "01_vietnamese_edu/giaoan_teacher_docs_huytt/DongHo.pptm",
                "application/vnd.ms-powerpoint.presentation.macroenabled.12",
            ),
            (
                "01_vietnamese_edu/giaoan_teacher_docs_huytt/LT TỪ NHIỀU NGHĨA.PPT",
                "application/vnd.ms-powerpoint",
            ),
        ],
    )
    def test_real_files(self, shared_data: Path, relpath: str, expected: str) -> None:
        path = shared_data / relpath
        assert detect_media_type(path, None, path.name) == expected

    def test_content_wins_over_a_wrong_extension_and_declared_type(
        self, shared_data: Path, tmp_path: Path
    ) -> None:
        renamed = tmp_path / "bai-giang.pdf"
        shutil.copyfile(shared_data / "02_format_robustness/tika/testWORD.docx", renamed)
        assert detect_media_type(renamed, "application/pdf", renamed.name) == DOCX

    def test_scorm_package_by_manifest(self, tmp_path: Path) -> None:
        pkg = tmp_path / "lesson.zip"
        with zipfile.ZipFile(pkg, "w") as zf:
            zf.writestr("imsmanifest.xml", "<manifest identifier='x'/>")
            zf.writestr("index.html", "<html><body>Bài 1</body></html>")
        assert detect_media_type(pkg, "application/zip", pkg.name) == SCORM

    def test_html5_package_by_index(self, tmp_path: Path) -> None:
        pkg = tmp_path / "electure.zip"
        with zipfile.ZipFile(pkg, "w") as zf:
            zf.writestr("index.html", "<html><body>Bài giảng</body></html>")
        assert detect_media_type(pkg, None, pkg.name) == HTML5_PACKAGE

    def test_csv_extension_refines_plain_text(self, tmp_path: Path) -> None:
        f = tmp_path / "diem.csv"
        f.write_text("họ tên,điểm\nAn,9\n", encoding="utf-8")
        assert detect_media_type(f, None, f.name) == "text/csv"

    def test_unknown_binary_falls_back_to_declared(self, tmp_path: Path) -> None:
        f = tmp_path / "blob"
        f.write_bytes(bytes(range(256)) * 4)
        assert detect_media_type(f, "application/x-custom", f.name) == "application/x-custom"
        assert detect_media_type(f, None, f.name) == "application/octet-stream"
