# ruff: noqa: RUF001 - legacy-encoding mojibake is the subject of these tests
"""Legacy Vietnamese font encodings (TCVN3, VNI) → Unicode.

The legacy strings are short excerpts of what Tika extracts from the real teacher files in
``01_vietnamese_edu/giaoan_teacher_docs_huytt``; ``test_text.py`` runs the files themselves.
"""

from __future__ import annotations

import json
import unicodedata

import pytest

from ingest.processors.legacy_fonts import (
    decode_tcvn3,
    decode_vni,
    detect_legacy_encoding,
    fix_legacy_vietnamese,
)


class TestDecoders:
    def test_tcvn3_lesson_plan_phrase(self) -> None:
        # GIAO AN LOP 5 TUAN 28 GTCKTKNKNS.doc
        assert decode_tcvn3("RÌn kÜ n¨ng tÝnh to¸n chÝnh x¸c") == "Rèn kĩ năng tính toán chính xác"
        assert decode_tcvn3("Ng\u00adêi c«ng d©n") == "Người công dân"

    def test_vni_slide_phrase(self) -> None:
        # KIM CHI 1.ppt
        assert decode_vni("Noái moác thôøi gian phuø hôïp") == "Nối mốc thời gian phù hợp"
        assert decode_vni("PHOØNG GIAÙO DUÏC QUAÄN 8") == "PHÒNG GIÁO DỤC QUẬN 8"

    def test_vni_breve_and_single_letters(self) -> None:
        assert decode_vni("baèng nghóa ñònh chæ") == "bằng nghĩa định chỉ"

    def test_output_is_nfc(self) -> None:
        out = decode_vni("Ñoâng Du")
        assert out == unicodedata.normalize("NFC", out)


class TestFixLegacyVietnamese:
    def test_mixed_line_converts_only_the_legacy_words(self) -> None:
        # KH Tuan 21.doc: a Unicode timetable with a few VNI cells
        line = "3 1 Theå duïc 2 LT&Caâu MRVT: Công dân 3 Toaùn Luyện tập về tính diện tích"
        assert fix_legacy_vietnamese(line) == (
            "3 1 Thể dục 2 LT&Câu MRVT: Công dân 3 Toán Luyện tập về tính diện tích"
        )

    def test_tcvn3_paragraph(self) -> None:
        text = "II. §å dïng d¹y häc:\n- B¶ng nhãm vµ vë « li.\nIII. C¸c ho¹t ®éng d¹y –häc chñ yÕu."
        assert fix_legacy_vietnamese(text) == (
            "II. Đồ dùng dạy học:\n- Bảng nhóm và vở ô li.\nIII. Các hoạt động dạy –học chủ yếu."
        )

    def test_capital_font_words_become_capitals(self) -> None:
        # .VnTimeH draws lowercase codes as capitals
        assert fix_legacy_vietnamese("GI¸O ¸N TO¸N") == "GIÁO ÁN TOÁN"

    @pytest.mark.parametrize(
        "text",
        [
            "Rèn kĩ năng tính toán chính xác. Người công dân số Một.",
            "The café served a naïve résumé © 2013, 0,6 µm and ½ cup.",
            "có phần gạch chân đọc là /æ/, còn lại đọc là /eɪ/",
            "Phong trào Đông Du tan rã",
        ],
    )
    def test_unicode_and_english_are_untouched(self, text: str) -> None:
        assert fix_legacy_vietnamese(text) == text

    def test_decomposed_input_comes_back_nfc(self) -> None:
        nfd = unicodedata.normalize("NFD", "Tiếng Việt")
        assert fix_legacy_vietnamese(nfd) == "Tiếng Việt"

    def test_detection_counts_markers_per_encoding(self) -> None:
        counts = detect_legacy_encoding("Phong traøo Ñoâng Du tan raõ")
        assert counts["vni"] >= 2
        assert counts["tcvn3"] < counts["vni"]

    def test_real_unicode_corpus_is_not_changed(self, shared_data) -> None:
        # VNHSGE exam items: correct Unicode (some NFD), with IPA, units and OCR noise.
        path = shared_data / "01_vietnamese_edu" / "vnhsge" / "vnhsge_flat.jsonl"
        changed = []
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh):
                if n >= 1500:
                    break
                text = json.dumps(json.loads(line), ensure_ascii=False)
                if fix_legacy_vietnamese(text) != unicodedata.normalize("NFC", text):
                    changed.append(n)
        assert changed == []
