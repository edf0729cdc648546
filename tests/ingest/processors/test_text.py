"""Text extraction on real documents: Vietnamese PDFs, legacy-font teacher files, OCR, and the
format-robustness corpus (every file ends with text or a clear reason, within the limits)."""

from __future__ import annotations

import shutil
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

from ingest.processors.detect import detect_media_type
from ingest.processors.sandbox import ProcessingFailed
from ingest.processors.text import TextResult, extract_text
from tests.conftest import skip_or_fail

EDU = "01_vietnamese_edu"
TEACHER = f"{EDU}/giaoan_teacher_docs_huytt"


def _extract(path: Path, **kwargs: object) -> TextResult:
    return extract_text(path, detect_media_type(path, None, path.name), **kwargs)  # type: ignore[arg-type]


def _is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


class TestVietnameseDocuments:
    def test_exam_pdf_has_pages_metadata_and_nfc_text(self, shared_data: Path) -> None:
        result = _extract(shared_data / EDU / "exam_pdfs_2018_thptqg/Su_301.pdf")
        assert "KỲ THI TRUNG HỌC PHỔ THÔNG QUỐC GIA NĂM 2018" in result.text
        assert "Môn thi thành phần: LỊCH SỬ" in result.text
        assert result.metadata["page_count"] == 4
        assert [n for n, _ in result.pages] == [1, 2, 3, 4]
        assert "Mã đề thi 301" in result.pages[0][1]
        assert result.metadata["language"] == "vi"
        assert result.ocr_used is False
        assert _is_nfc(result.text)

    @pytest.mark.parametrize(
        ("name", "title"),
        [
            # UTF-8 bytes in the Info dict, decoded by pdfium as PDFDocEncoding: "Lá»‰ch sá»\x00".
            ("Su_301.pdf", "Lịch sử - 301"),
            ("Dia_301.pdf", "Địa lí - 301"),
            ("Ly_201.pdf", "Vật lí - 201"),
            ("Hoa_201.pdf", "Hóa học - 201"),  # the Windows-1252 repair alone gave "Hóa hồc"
            ("Toan_101.pdf", "Toán - 101"),
            ("GDCD_301.pdf", "GDCD - 301"),  # plain ASCII stays as it is
        ],
    )
    def test_exam_pdf_titles_written_as_raw_utf8_are_repaired(
        self, shared_data: Path, name: str, title: str
    ) -> None:
        result = _extract(shared_data / EDU / "exam_pdfs_2018_thptqg" / name)
        assert result.metadata["title"] == title

    def test_correct_non_ascii_title_is_left_alone(self, shared_data: Path) -> None:
        result = _extract(shared_data / "02_format_robustness/pdfjs/checkbox-bad-appearance.pdf")
        assert result.metadata["title"] == "1 Betriebsverfassungsrecht 1 - Für den perfekten Einstieg!"

    def test_moet_curriculum_pdf(self, shared_data: Path) -> None:
        result = _extract(shared_data / EDU / "moet_curriculum_docs/3__CT_Toan_302f6.pdf")
        assert "CHƯƠNG TRÌNH GIÁO DỤC PHỔ THÔNG" in result.pages[0][1]
        assert "MÔN TOÁN" in result.pages[0][1]
        assert "Bộ trưởng Bộ Giáo dục và Đào tạo" in result.text
        assert result.metadata["page_count"] == 123
        assert _is_nfc(result.text)

    def test_unicode_doc_from_a_teacher(self, shared_data: Path) -> None:
        result = _extract(shared_data / TEACHER / "Đề 1.doc")
        assert "TÔ MÌ CỦA NGƯỜI LẠ" in result.text
        assert _is_nfc(result.text)

    def test_tcvn3_lesson_plan_is_converted(self, shared_data: Path) -> None:
        result = _extract(shared_data / TEACHER / "GIAO AN LOP 5 TUAN 28 GTCKTKNKNS.doc")
        assert "Rèn kĩ năng tính toán chính xác" in result.text
        assert "Đồ dùng dạy học" in result.text
        assert "RÌn" not in result.text
        assert _is_nfc(result.text)

    def test_vni_slides_and_title_are_converted(self, shared_data: Path) -> None:
        result = _extract(shared_data / TEACHER / "KIM CHI 1.ppt")
        assert "Phong trào Đông Du tan rã" in result.text
        assert "Nối mốc thời gian phù hợp" in result.text
        assert result.metadata["title"] == "PHÒNG GIÁO DỤC QUẬN 8"

    def test_vni_reading_test_doc(self, shared_data: Path) -> None:
        result = _extract(shared_data / TEACHER / "Đề 19.doc")
        assert "CẬU BÉ NHÂN HẬU" in result.text
        assert "trận động đất" in result.text

    def test_mixed_unicode_and_vni_ppt(self, shared_data: Path) -> None:
        result = _extract(shared_data / TEACHER / "LT TỪ NHIỀU NGHĨA.PPT")
        assert "b. Nghĩa gốc" in result.text
        assert "Nghóa" not in result.text


class TestOcr:
    def test_exam_question_screenshot_yields_vietnamese(self, shared_data: Path) -> None:
        if shutil.which("tesseract") is None:
            skip_or_fail("tesseract is not installed (apt tesseract-ocr tesseract-ocr-vie)")
        image = next((shared_data / EDU / "exam_question_images_viexam").glob("Geography_0002_*.png"))
        result = _extract(image)
        if any("language data missing: vie" in n for n in result.notes):
            skip_or_fail("tesseract-ocr-vie is not installed")
        assert result.ocr_used is True
        assert "NHIỆT ĐỘ VÀ LƯỢNG MƯA" in result.text
        assert "Hà Nội" in result.text
        assert "Ð" not in result.text  # Eth is mapped to Đ
        assert _is_nfc(result.text)

    def test_scanned_pdf_page_is_ocrd(self, shared_data: Path) -> None:
        if shutil.which("tesseract") is None:
            skip_or_fail("tesseract is not installed")
        result = _extract(shared_data / "02_format_robustness/tika/testOCR.pdf")
        assert result.ocr_used is True
        assert "Happy New Year 2003" in result.text


class TestFailures:
    @pytest.mark.parametrize(
        ("relpath", "reason"),
        [
            ("tika/testPassword4Spaces.pdf", "PDF is password-protected"),
            ("tika/testWORD_protected_passtika.doc", "document is password-protected"),
            ("tika/testODTEncrypted.odt", "document is password-protected"),
            ("tika/quine.gz", "compressed file contains another compressed archive (recursive archive)"),
            ("tika/testZIP_corrupted_oom.zip", "zip archive is truncated or corrupt"),
            ("tika/full_encrypted.7z", "7z and RAR archives are not supported; upload a zip"),
            ("minimal_files/markdown.md", "file is empty"),
        ],
    )
    def test_reason_is_clear(self, shared_data: Path, relpath: str, reason: str) -> None:
        with pytest.raises(ProcessingFailed) as info:
            _extract(shared_data / "02_format_robustness" / relpath)
        assert info.value.reason == reason

    def test_zip_bomb_fails_fast(self, tmp_path: Path) -> None:
        bomb = tmp_path / "bomb.zip"
        zeros = bytes(8 * 1024 * 1024)
        with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for i in range(40):  # 320 MB inflated from about 300 KB
                zf.writestr(f"part{i}.txt", zeros)
        started = time.monotonic()
        with pytest.raises(ProcessingFailed, match="decompression bomb"):
            _extract(bomb)
        assert time.monotonic() - started < 10

    def test_text_is_capped(self, tmp_path: Path) -> None:
        f = tmp_path / "long.txt"
        f.write_text("Bài học lớp 5. " * 2000, encoding="utf-8")
        result = _extract(f, max_chars=1000)
        assert len(result.text) == 1000
        assert any("truncated" in n for n in result.notes)


@pytest.mark.slow
class TestFormatRobustnessCorpus:
    PER_FILE_LIMIT_S = 60

    def test_every_file_ends_with_text_or_a_reason_within_the_limit(self, shared_data: Path) -> None:
        root = shared_data / "02_format_robustness"
        files = sorted(p for p in root.rglob("*") if p.is_file())
        assert len(files) > 100
        outcomes: dict[str, str] = {}
        reasons: list[str] = []
        for path in files:
            started = time.monotonic()
            media_type = detect_media_type(path, None, path.name)
            try:
                result = extract_text(path, media_type, timeout_s=30, memory_mb=1536, ocr_max_pages=1)
            except ProcessingFailed as exc:
                outcomes[path.name] = f"failed: {exc.reason}"
                reasons.append(exc.reason)
            else:
                assert _is_nfc(result.text)
                outcomes[path.name] = "ready"
            elapsed = time.monotonic() - started
            assert elapsed < self.PER_FILE_LIMIT_S, f"{path.name} took {elapsed:.1f} s"
        # Reasons are short sentences for people, never tracebacks.
        assert all(r and "Traceback" not in r and len(r) < 200 for r in reasons)
        # Valid text-bearing files yield text.
        assert outcomes["testWORD.docx"] == "ready"
        assert outcomes["tracemonkey.pdf"] == "ready"
        assert outcomes["testEPUB.epub"] == "ready"
        assert outcomes["testRTFJapanese.rtf"] == "ready"
        assert outcomes["quine.gz"].startswith("failed: ")
