# Legacy-font samples ("Gi¸o ¸n") are the point of some tests.
# Question texts are kept whole on one line each, like the exam items they imitate.
# ruff: noqa: RUF001, RUF003
"""Auto-tagging (``ingest.tagging``): names, text, NFD, legacy garbage, real teacher files, VNHSGE."""

from __future__ import annotations

import csv
import random
import unicodedata
from pathlib import Path

import pytest

from bench import tagging_vnhsge as bench
from ingest import tagging_lexicon as lex
from ingest.tagging import Suggestion, best, suggest_tags
from repository.errors import BadRequest
from repository.vocabularies import get_vocabulary


def top(suggestions: list[Suggestion], field: str) -> int | str | None:
    found = best(suggestions, field)
    return found.value if found is not None else None


def values(suggestions: list[Suggestion], field: str) -> set[int | str]:
    return {s.value for s in suggestions if s.field == field}


class TestFileNames:
    @pytest.mark.parametrize(
        ("filename", "folders", "grade", "subject", "rtype"),
        [
            ("Toan_Lop5_Bai12_PhanSo.pdf", [], 5, "toan", None),
            ("GIAO AN LOP 5 TUAN 28.doc", [], 5, None, "ke-hoach-bai-day"),
            ("Đề 18.doc", [], None, None, "de-kiem-tra"),
            ("LT TỪ NHIỀU NGHĨA.PPT", [], None, "tieng-viet", "bai-trinh-chieu"),
            ("Vat ly 10 - Chuong 2.pptx", [], 10, "vat-li", "bai-trinh-chieu"),
            ("Vật lí 11 - đề thi học kì I.docx", [], 11, "vat-li", "de-kiem-tra"),
            ("lớp 5 - Tiếng Việt - Phiếu bài tập cuối tuần.pdf", [], 5, "tieng-viet", "phieu-hoc-tap"),
            ("GDCD12_de thi thu.pdf", [], 12, "giao-duc-cong-dan", "de-kiem-tra"),
            ("KHTN 7 - KHBD bai 3.docx", [], 7, "khoa-hoc-tu-nhien", "ke-hoach-bai-day"),
            ("Hoá học 11.pdf", [], 11, "hoa-hoc", None),
            ("Hóa học 11.pdf", [], 11, "hoa-hoc", None),
            ("Toán học L5.docx", [], 5, "toan", None),
            ("TiengViet5_TapDoc.pptx", [], 5, "tieng-viet", "bai-trinh-chieu"),
            ("bai giang dien tu.pptx", ["Lop5", "Toan"], 5, "toan", "bai-giang-dien-tu"),
            ("Bai 3.mp4", ["Địa lý 12"], 12, "dia-li", "video-bai-giang"),
        ],
    )
    def test_name_says_grade_subject_and_type(self, filename, folders, grade, subject, rtype):
        suggestions = suggest_tags(filename=filename, folders=folders)
        assert top(suggestions, "grades") == grade
        assert top(suggestions, "subjects") == subject
        if rtype is not None:
            assert rtype in values(suggestions, "type")

    def test_lesson_and_chapter_are_read_from_names(self):
        assert top(suggest_tags(filename="Toan_Lop5_Bai12_PhanSo.pdf"), "lesson") == "Bài 12: Phan So"
        assert top(suggest_tags(filename="Vat ly 10 - Chuong 2.pptx"), "chapter") == "Chương 2"

    def test_history_in_primary_is_taught_as_history_and_geography(self):
        suggestions = suggest_tags(filename="Lịch sử lớp 5 - KNTT.docx")
        assert top(suggestions, "subjects") == "lich-su-va-dia-li"
        assert top(suggestions, "series") == "ket-noi-tri-thuc"
        assert "grade 5" in best(suggestions, "subjects").evidence  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        "filename",
        ["AN TOAN GIAO THONG.doc", "Danh sach hoc sinh.xls", "Văn hóa đọc.docx", "Hoá đơn tháng 3.xls"],
    )
    def test_words_that_contain_a_subject_name_are_not_subjects(self, filename):
        assert top(suggest_tags(filename=filename), "subjects") is None

    def test_accented_toan_must_be_mathematics_not_whole(self):
        assert top(suggest_tags(filename="Toàn trường 2023.docx"), "subjects") is None
        assert top(suggest_tags(filename="Toán 2023.docx"), "subjects") == "toan"

    def test_nfd_names_tag_like_nfc(self):
        name = "Vật lí lớp 10 - Bài 5: Chuyển động thẳng.docx"
        nfd = unicodedata.normalize("NFD", name)
        assert nfd != name
        as_nfc = [(s.field, s.value) for s in suggest_tags(filename=name)]
        as_nfd = [(s.field, s.value) for s in suggest_tags(filename=nfd)]
        assert as_nfd == as_nfc
        assert ("lesson", "Bài 5: Chuyển động thẳng") in as_nfc

    def test_file_name_outweighs_its_folder(self):
        suggestions = suggest_tags(filename="Bang_thu_chi_4A.xls", folders=["GiaoAn_Lop5H_2013"])
        assert top(suggestions, "grades") == 4

    def test_every_suggestion_has_confidence_and_evidence(self):
        for s in suggest_tags(filename="Toan_Lop5_Bai12_PhanSo.pdf", folders=["KNTT"]):
            assert 0.0 < s.confidence <= 1.0
            assert s.evidence
            assert s.to_dict()["field"] == s.field


class TestText:
    def test_exam_header_gives_subject_grade_and_type(self):
        text = (
            "TRƯỜNG TIỂU HỌC KIM ĐỒNG\nĐỀ KIỂM TRA CUỐI HỌC KÌ II\nMôn: Toán - Lớp 5\n"
            "Câu 1: Phân số nào bằng 3/4?\nA. 6/8  B. 4/3  C. 3/5  D. 9/10\n"
        )
        suggestions = suggest_tags(filename="scan0001.pdf", text=text)
        assert top(suggestions, "subjects") == "toan"
        assert top(suggestions, "grades") == 5
        assert top(suggestions, "type") == "de-kiem-tra"
        assert top(suggestions, "language") == "vi"

    @pytest.mark.parametrize(
        ("text", "subject"),
        [
            ("Cho hàm số $y = x^3 - 3x + 2$. Đạo hàm của hàm số tại x = 1 bằng\nA. 0\nB. 1\nC. 2\nD. 3", "toan"),
            ("Một con lắc lò xo dao động điều hòa với tần số 2 Hz. Biên độ dao động là 5 cm.", "vat-li"),
            ("Đặt điện áp xoay chiều u = 220 V vào hai đầu đoạn mạch có tụ điện và cuộn cảm.", "vat-li"),
            ("Cho 0,1 mol Fe phản ứng hoàn toàn với dung dịch H2SO4 loãng dư, thu được V lít khí H2.", "hoa-hoc"),
            ("Ở một loài thực vật, gen A quy định hoa đỏ trội hoàn toàn so với alen a. Cho P: Aa x aa.", "sinh-hoc"),
            ("Trong tế bào, nhiễm sắc thể được cấu tạo từ ADN và prôtêin.", "sinh-hoc"),
            ("Mark the letter A, B, C, or D on your answer sheet to indicate the word whose underlined "
             "part differs from the other three in pronunciation.", "tieng-anh"),
            ("Chiến thắng Điện Biên Phủ năm 1954 buộc thực dân Pháp kí Hiệp định Giơnevơ.", "lich-su"),
            ("Căn cứ vào Atlat Địa lí Việt Nam trang 9, cho biết vùng khí hậu nào chịu ảnh hưởng của gió mùa.",
             "dia-li"),
            ("Anh A tự ý vào chỗ ở của chị B. Anh A đã vi phạm quyền bất khả xâm phạm về chỗ ở của công dân.",
             "giao-duc-cong-dan"),
            ("Đọc đoạn trích sau và thực hiện các yêu cầu: xác định phương thức biểu đạt chính của đoạn trích. "
             "Nhà thơ đã sử dụng biện pháp tu từ nào trong khổ thơ?", "ngu-van"),
        ],
    )  # fmt: skip
    def test_subject_from_content(self, text, subject):
        assert top(suggest_tags(filename="", text=text), "subjects") == subject

    def test_nfd_text_scores_like_nfc(self):
        text = (
            "Căn cứ vào Atlat Địa lí Việt Nam, tỉ trọng sản lượng thủy sản của vùng Đồng bằng sông Cửu Long"
        )
        nfd = unicodedata.normalize("NFD", text)
        assert top(suggest_tags(filename="", text=nfd), "subjects") == "dia-li"
        assert suggest_tags(filename="", text=nfd) == suggest_tags(filename="", text=text)

    def test_marks_separate_words_that_fold_alike(self):
        # "tính" (property) is not "tỉnh" (province), "biến" not "biển": a law question
        # full of them must not look like geography.
        text = "Pháp luật có tính quy phạm phổ biến, tính quyền lực bắt buộc chung."
        assert top(suggest_tags(filename="", text=text), "subjects") == "giao-duc-cong-dan"

    def test_legacy_font_garbage_is_ignored(self):
        garbage = "Gi¸o ¸n To¸n líp 5 - Ph©n sè thËp ph©n. Bµi 12: Nh©n mét sè thËp ph©n " * 5
        suggestions = suggest_tags(filename="x.doc", text=garbage)
        # Nothing is read from the garbled words themselves ("To¸n", "Ph©n sè")...
        assert top(suggestions, "subjects") is None
        assert top(suggestions, "lesson") is None
        # ...while the same text in Unicode is understood.
        clean = "Giáo án Toán lớp 5 - Phân số thập phân.\nBài 12: Nhân một số thập phân với một số tự nhiên"
        suggestions = suggest_tags(filename="x.doc", text=clean)
        assert top(suggestions, "grades") == 5
        assert top(suggestions, "lesson") == "Bài 12: Nhân một số thập phân với một số tự nhiên"

    def test_chapter_heading_with_roman_numeral(self):
        text = "CHƯƠNG II: HÀM SỐ BẬC NHẤT VÀ BẬC HAI\nBài 1. Hàm số"
        suggestions = suggest_tags(filename="", text=text)
        assert top(suggestions, "chapter") == "Chương II: HÀM SỐ BẬC NHẤT VÀ BẬC HAI"
        assert top(suggestions, "lesson") == "Bài 1: Hàm số"

    def test_exam_problem_is_not_a_lesson(self):
        assert top(suggest_tags(filename="", text="Bài 1 (2 điểm): Tính giá trị biểu thức"), "lesson") is None

    def test_english_text_is_english(self):
        text = "Read the following passage and mark the letter A, B, C, or D to indicate the correct answer."
        assert top(suggest_tags(filename="", text=text), "language") == "en"

    def test_metadata_title_and_language(self):
        suggestions = suggest_tags(
            filename="document.pdf", doc_metadata={"dc:title": "Sinh học 12 - Bài 1", "language": "vi-VN"}
        )
        assert top(suggestions, "subjects") == "sinh-hoc"
        assert top(suggestions, "grades") == 12
        assert top(suggestions, "language") == "vi"

    def test_empty_input_gives_no_suggestions(self):
        assert suggest_tags(filename="") == []

    @pytest.mark.parametrize(
        "kwargs",
        [{"filename": None}, {"filename": "a", "folders": "Lop5"}, {"filename": "a", "text": b"x"},
         {"filename": "a", "doc_metadata": ["title"]}],
    )  # fmt: skip
    def test_bad_arguments_raise_bad_request(self, kwargs):
        with pytest.raises(BadRequest):
            suggest_tags(**kwargs)


class TestLexicon:
    def test_every_code_is_in_the_vocabularies(self):
        subjects = set(get_vocabulary("subject").codes())
        types = set(get_vocabulary("resource-type").codes())
        series = set(get_vocabulary("series").codes())
        assert (
            set(lex.SUBJECT_NAMES) | set(lex.SUBJECT_TERMS) | set(lex.SUBJECT_ABBREVIATIONS.values())
            <= subjects
        )
        assert (
            set(lex.TYPE_NAMES) | set(lex.TYPE_ABBREVIATIONS.values()) | set(lex.EXTENSION_TYPES.values())
            <= types
        )
        assert set(lex.SERIES_NAMES) | set(lex.SERIES_ABBREVIATIONS.values()) <= series


TEACHER_DIR = Path("01_vietnamese_edu") / "giaoan_teacher_docs_huytt"
# Teacher files whose own name or folder names say the grade and/or subject (the manifest's
# guesses must agree; the test checks that too). Others (e.g. "KIM CHI 1.ppt", history only by
# content) are left to content extraction.
TEACHER_EXPECTED: dict[str, tuple[int | None, str | None]] = {
    "GIAO AN 5 TUAN 20 GDMTTT HCM.doc": (5, None),
    "GIAO AN LOP 5 TUAN 28 GTCKTKNKNS.doc": (5, None),
    "CHUONG TRINH GIAM TAI LOP 5.doc": (5, None),
    "NOI DUNG GD KNS CAC BAI HOC LOP 5 THEO TUAN.doc": (5, None),
    "Bang_thu_chi_4A.xls": (4, None),
    "T_5__Nhan_1_so_TP_voi_1_so_TN.ppt": (5, "toan"),
    "LT TỪ NHIỀU NGHĨA.PPT": (5, "tieng-viet"),
    "BuonChuLenhDonCoGiao.PPT": (5, None),
    "Đề 18.doc": (None, "tieng-viet"),
    "KH Tuan 21.doc": (5, None),
}
MANIFEST_SUBJECTS = {"Toán": "toan", "Tiếng Việt": "tieng-viet"}


class TestTeacherFiles:
    def _rows(self, shared_data: Path) -> list[dict[str, str]]:
        manifest = shared_data / TEACHER_DIR / "manifest.tsv"
        with manifest.open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle, delimiter="\t"))

    def test_grade_and_subject_from_names(self, shared_data):
        rows = {row["file"]: row for row in self._rows(shared_data)}
        for filename, (grade, subject) in TEACHER_EXPECTED.items():
            row = rows[filename]
            assert (shared_data / TEACHER_DIR / filename).is_file()
            folders = row["path"].split("/")[:-1]
            suggestions = suggest_tags(filename=filename, folders=folders)
            if grade is not None:
                assert str(grade) == row["grade_guess"], filename
                assert top(suggestions, "grades") == grade, (filename, suggestions)
            if subject is not None:
                assert MANIFEST_SUBJECTS[row["subject_guess"].split(" (")[0]] == subject, filename
                assert top(suggestions, "subjects") == subject, (filename, suggestions)

    def test_no_confident_grade_contradicts_the_manifest(self, shared_data):
        for row in self._rows(shared_data):
            if not row["grade_guess"]:
                continue
            suggestions = suggest_tags(filename=row["file"], folders=row["path"].split("/")[:-1])
            found = best(suggestions, "grades")
            if found is not None and found.confidence >= 0.5:
                assert found.value == int(row["grade_guess"]), (row["file"], found)


class TestVnhsge:
    """The issue's target, on exam papers never inspected while writing the lexicons."""

    def test_splits_are_by_paper_and_disjoint(self, shared_data):
        items, skipped = bench.load_items(bench.dataset_path(shared_data))
        assert skipped == 30  # literature essays have no text in the flat file
        dev = {i.paper for i in items if i.split == "dev"}
        heldout = {i.paper for i in items if i.split == "heldout"}
        assert dev
        assert heldout
        assert not dev & heldout

    @pytest.mark.slow
    def test_subject_accuracy_on_held_out_sample(self, shared_data):
        items, _ = bench.load_items(bench.dataset_path(shared_data))
        heldout = sorted((i for i in items if i.split == "heldout"), key=lambda i: (i.paper, i.id))
        sample = random.Random(3).sample(heldout, 700)
        assert any(unicodedata.normalize("NFC", i.text) != i.text for i in items)  # NFD items exist
        result = bench.evaluate(sample)
        assert sum(result.total.values()) == 700
        assert len(result.total) == 8  # every subject with text is represented
        assert result.accuracy >= 0.90, result.confusions.most_common(5)
