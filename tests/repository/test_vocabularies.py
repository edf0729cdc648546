"""Vocabulary data files and lookup, including the real subject names of the curriculum corpora."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from repository.errors import BadRequest, NotFound
from repository.vocabularies import (
    VOCABULARIES_DIR,
    Vocabulary,
    VocabularyDataError,
    get_vocabulary,
    load_vocabularies,
    lookup_key,
    parse_vocabulary,
)

EXPECTED = {"level", "grade", "subject", "series", "resource-type", "audience", "language", "license"}

# Codes exactly as in the curriculum contract (../shared/CURRICULUM.md).
CURRICULUM_CODES = {
    "level": {"mam-non", "tieu-hoc", "thcs", "thpt"},
    "subject": {
        "tieng-viet",
        "ngu-van",
        "toan",
        "tieng-anh",
        "dao-duc",
        "tu-nhien-va-xa-hoi",
        "khoa-hoc",
        "lich-su-va-dia-li",
        "tin-hoc-va-cong-nghe",
        "giao-duc-cong-dan",
        "khoa-hoc-tu-nhien",
        "cong-nghe",
        "tin-hoc",
        "lich-su",
        "dia-li",
        "giao-duc-kinh-te-va-phap-luat",
        "vat-li",
        "hoa-hoc",
        "sinh-hoc",
        "giao-duc-the-chat",
        "am-nhac",
        "mi-thuat",
        "hoat-dong-trai-nghiem",
        "giao-duc-quoc-phong-va-an-ninh",
        "giao-duc-dia-phuong",
    },
    "series": {"ket-noi-tri-thuc", "chan-troi-sang-tao", "canh-dieu"},
    "resource-type": {
        "bai-giang-dien-tu",
        "video-bai-giang",
        "bai-trinh-chieu",
        "ke-hoach-bai-day",
        "phieu-hoc-tap",
        "de-kiem-tra",
        "sach-giao-khoa",
        "tai-lieu-tham-khao",
        "hoc-lieu-am-thanh",
        "hinh-anh",
        "mo-phong",
    },
    "audience": {"hoc-sinh", "giao-vien", "phu-huynh"},
    "license": {
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-ND-4.0",
        "CC0-1.0",
        "LicenseRef-all-rights-reserved",
    },
    "grade": {str(n) for n in range(1, 13)},
}
# CURRICULUM.md lists "mnc" (ISO 639-3: Manchu) for M'Nông and "tdd" (Tai Nüa, spoken in China) for Thái;
# the vocabulary uses the codes of the languages actually taught: Central Mnong "cmo", Tai Dam "blt".
CURRICULUM_LANGUAGES = {"vi", "en", "km", "hmn", "cjm", "rad", "jra", "bdq", "cmo", "blt"}
SUBJECT_GRADES = {
    "tieng-viet": range(1, 6),
    "ngu-van": range(6, 13),
    "toan": range(1, 13),
    "dao-duc": range(1, 6),
    "tu-nhien-va-xa-hoi": range(1, 4),
    "khoa-hoc": range(4, 6),
    "lich-su-va-dia-li": range(4, 10),
    "tin-hoc-va-cong-nghe": range(3, 6),
    "giao-duc-cong-dan": range(6, 10),
    "khoa-hoc-tu-nhien": range(6, 10),
    "cong-nghe": range(6, 13),
    "tin-hoc": range(6, 13),
    "lich-su": range(10, 13),
    "dia-li": range(10, 13),
    "vat-li": range(10, 13),
    "hoa-hoc": range(10, 13),
    "sinh-hoc": range(10, 13),
    "giao-duc-quoc-phong-va-an-ninh": range(10, 13),
    "am-nhac": range(1, 13),
    "mi-thuat": range(1, 13),
}


class TestVocabularyFiles:
    def test_every_expected_vocabulary_is_shipped(self) -> None:
        assert set(load_vocabularies()) == EXPECTED
        assert {p.stem for p in VOCABULARIES_DIR.glob("*.json")} == EXPECTED

    @pytest.mark.parametrize("name", sorted(CURRICULUM_CODES))
    def test_codes_are_exactly_the_curriculum_codes(self, name: str) -> None:
        assert set(get_vocabulary(name).codes()) == CURRICULUM_CODES[name]

    def test_languages_include_every_curriculum_language(self) -> None:
        codes = set(get_vocabulary("language").codes())
        assert codes >= CURRICULUM_LANGUAGES
        assert all(re.fullmatch(r"[a-z]{2,3}", c) for c in codes)

    def test_files_are_nfc_and_every_term_has_both_labels(self) -> None:
        for path in VOCABULARIES_DIR.glob("*.json"):
            text = path.read_text(encoding="utf-8")
            assert unicodedata.is_normalized("NFC", text), path.name
            for term in json.loads(text)["terms"]:
                assert term["label"]["vi"].strip()
                assert term["label"]["en"].strip()

    @pytest.mark.parametrize(("code", "grades"), sorted(SUBJECT_GRADES.items()))
    def test_subject_grades_follow_the_programme(self, code: str, grades: range) -> None:
        assert get_vocabulary("subject").term(code).grades == tuple(grades)

    def test_level_grades_partition_one_to_twelve(self) -> None:
        levels = get_vocabulary("level")
        assert levels.term("mam-non").grades == ()
        spans = [levels.term(c).grades for c in ("tieu-hoc", "thcs", "thpt")]
        assert [g for span in spans for g in (span or ())] == list(range(1, 13))

    def test_grade_terms_are_one_to_twelve_with_labels(self) -> None:
        grades = get_vocabulary("grade")
        assert grades.codes() == [str(n) for n in range(1, 13)]
        assert grades.label("5") == "Lớp 5"
        assert grades.label("5", "en") == "Grade 5"

    def test_open_licences_have_creative_commons_urls(self) -> None:
        licences = get_vocabulary("license")
        assert licences.term("CC-BY-4.0").url == "https://creativecommons.org/licenses/by/4.0/"
        assert licences.term("CC0-1.0").url == "https://creativecommons.org/publicdomain/zero/1.0/"
        assert licences.term("LicenseRef-all-rights-reserved").url is None


class TestLookup:
    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("Vật lý", "vat-li"),
            ("Vật lí", "vat-li"),
            ("vat li", "vat-li"),
            ("VAT LY", "vat-li"),
            ("GDCD", "giao-duc-cong-dan"),
            ("gdcd", "giao-duc-cong-dan"),
            ("KHTN", "khoa-hoc-tu-nhien"),
            ("Toán học", "toan"),
            ("TOÁN", "toan"),
            ("toan", "toan"),
            ("Hóa học", "hoa-hoc"),
            ("Hoá học", "hoa-hoc"),
            ("Mỹ thuật", "mi-thuat"),
            ("Mĩ thuật", "mi-thuat"),
            ("Tin", "tin-hoc"),
            ("Sử", "lich-su"),
            ("Địa", "dia-li"),
            ("Anh văn", "tieng-anh"),
            ("Văn", "ngu-van"),
            ("Lịch sử & Địa lí", "lich-su-va-dia-li"),
            ("GD-KT-PL", "giao-duc-kinh-te-va-phap-luat"),
            ("Quốc phòng – An ninh", "giao-duc-quoc-phong-va-an-ninh"),
            ("Mathematics", "toan"),
            ("toan-hoc", "toan"),
        ],
    )
    def test_subject_spellings_resolve(self, text: str, code: str) -> None:
        term = get_vocabulary("subject").lookup(text)
        assert term is not None, text
        assert term.code == code

    def test_nfd_input_resolves_like_nfc(self) -> None:
        subjects = get_vocabulary("subject")
        for text in ("Vật lý", "Giáo dục công dân", "Hoá học", "Đạo đức"):
            nfd = unicodedata.normalize("NFD", text)
            assert nfd != text
            assert subjects.lookup(nfd) == subjects.lookup(text) is not None

    @pytest.mark.parametrize(
        "text", ["lop 5", "lớp 5", "Lớp 5", "L5", "lop5", "LỚP 5", "5", "Khối 5", "Grade 5"]
    )
    def test_grade_spellings_resolve(self, text: str) -> None:
        term = get_vocabulary("grade").lookup(text)
        assert term is not None
        assert term.code == "5"

    def test_grade_ten_does_not_match_grade_one(self) -> None:
        grades = get_vocabulary("grade")
        assert grades.lookup("lớp 10").code == "10"  # type: ignore[union-attr]
        assert grades.lookup("L1").code == "1"  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("name", "text", "code"),
        [
            ("level", "cấp 1", "tieu-hoc"),
            ("level", "Cấp II", "thcs"),
            ("level", "cap 3", "thpt"),
            ("level", "THCS", "thcs"),
            ("series", "KNTT", "ket-noi-tri-thuc"),
            ("series", "CTST", "chan-troi-sang-tao"),
            ("series", "CD", "canh-dieu"),
            ("series", "Cánh diều", "canh-dieu"),
            ("resource-type", "Giáo án", "ke-hoach-bai-day"),
            ("resource-type", "đề thi", "de-kiem-tra"),
            ("audience", "giáo viên", "giao-vien"),
            ("language", "Tiếng Việt", "vi"),
            ("language", "vi-VN", "vi"),
            ("language", "Ê-đê", "rad"),
            ("license", "CC BY-SA 4.0", "CC-BY-SA-4.0"),
            ("license", "cc-by-4.0", "CC-BY-4.0"),
        ],
    )
    def test_other_vocabularies_resolve(self, name: str, text: str, code: str) -> None:
        term = get_vocabulary(name).lookup(text)
        assert term is not None
        assert term.code == code

    @pytest.mark.parametrize("text", ["", "   ", "Thiên văn học", "xyz", "---"])
    def test_unknown_text_gives_none(self, text: str) -> None:
        assert get_vocabulary("subject").lookup(text) is None

    @pytest.mark.parametrize(
        ("text", "grade", "code"),
        [
            ("Tin học", 3, "tin-hoc-va-cong-nghe"),
            ("Công nghệ", 5, "tin-hoc-va-cong-nghe"),
            ("Tin học", 7, "tin-hoc"),
            ("Lịch sử", 6, "lich-su-va-dia-li"),
            ("Địa lý", 9, "lich-su-va-dia-li"),
            ("Lịch sử", 11, "lich-su"),
            ("Khoa học", 8, "khoa-hoc-tu-nhien"),
            ("Khoa học", 4, "khoa-hoc"),
            ("Sinh học", 7, "sinh-hoc"),  # no broader subject names it: the plain match stands
        ],
    )
    def test_grade_prefers_the_subject_taught_at_that_grade(self, text: str, grade: int, code: str) -> None:
        term = get_vocabulary("subject").lookup(text, grade=grade)
        assert term is not None
        assert term.code == code

    def test_suggest_finds_near_misses_but_lookup_does_not(self) -> None:
        subjects = get_vocabulary("subject")
        assert subjects.lookup("toan-hco") is None
        assert subjects.suggest("toan-hco").code == "toan"  # type: ignore[union-attr]
        assert subjects.suggest("zzzz") is None

    def test_lookup_key_folds_punctuation_digits_and_y(self) -> None:
        assert lookup_key("Lịch sử & Địa lý") == "lich su va dia li"
        assert lookup_key("GD-KT-PL") == "gd kt pl"
        assert lookup_key("Lớp5") == "lop 5"
        assert lookup_key("Kỹ thuật") == lookup_key("Kĩ thuật")


class TestVocabularyApi:
    def test_unknown_vocabulary_lists_known_names(self) -> None:
        with pytest.raises(NotFound) as info:
            get_vocabulary("subjects")
        for name in EXPECTED:
            assert name in info.value.message

    def test_unknown_code_raises_not_found_with_codes(self) -> None:
        with pytest.raises(NotFound, match="toan"):
            get_vocabulary("subject").label("toan-hoc")

    def test_label_in_both_languages(self) -> None:
        subjects = get_vocabulary("subject")
        assert subjects.label("vat-li") == "Vật lí"
        assert subjects.label("vat-li", lang="en") == "Physics"
        with pytest.raises(BadRequest):
            subjects.label("vat-li", lang="fr")

    def test_to_dict_with_and_without_language(self) -> None:
        both = get_vocabulary("subject").to_dict()
        assert both["name"] == "subject"
        assert both["label"] == {"vi": "Môn học", "en": "Subject"}
        toan = next(t for t in both["terms"] if t["code"] == "toan")
        assert toan["label"] == {"vi": "Toán", "en": "Mathematics"}
        assert toan["grades"] == list(range(1, 13))
        assert "Toán học" in toan["aliases"]
        english = get_vocabulary("subject").to_dict(lang="en")
        assert english["label"] == "Subject"
        assert english["terms"][0]["label"] == "Vietnamese"
        json.dumps(both)  # serialisable as is

    def test_load_returns_a_copy_of_the_cache(self) -> None:
        first = load_vocabularies()
        first.clear()
        assert set(load_vocabularies()) == EXPECTED


class TestParseVocabulary:
    @staticmethod
    def _doc(**terms_extra: Any) -> dict[str, Any]:
        term = {"code": "a", "label": {"vi": "A", "en": "A"}, "aliases": []} | terms_extra
        return {"name": "x", "label": {"vi": "X", "en": "X"}, "terms": [term]}

    def test_valid_document_parses(self) -> None:
        assert isinstance(parse_vocabulary(self._doc()), Vocabulary)

    @pytest.mark.parametrize(
        "broken",
        [
            {"extra": 1},
            {"label": {"vi": "A"}},
            {"grades": [13]},
            {"aliases": [""]},
            {"code": ""},
            {"url": "http://insecure.example"},
        ],
    )
    def test_malformed_terms_are_rejected(self, broken: dict[str, Any]) -> None:
        with pytest.raises(VocabularyDataError):
            parse_vocabulary(self._doc(**broken))

    def test_two_terms_reading_the_same_are_rejected(self) -> None:
        doc = self._doc()
        doc["terms"].append({"code": "b", "label": {"vi": "Á", "en": "B"}, "aliases": []})
        with pytest.raises(VocabularyDataError, match="reads the same"):
            parse_vocabulary(doc)


def _taxonomy(shared_data: Path) -> Path:
    folder = shared_data / "04_vn_curriculum_taxonomy"
    if not folder.is_dir():
        pytest.skip("04_vn_curriculum_taxonomy not present")
    return folder


def _grade_number(text: str) -> int | None:
    term = get_vocabulary("grade").lookup(text)
    return int(term.code) if term is not None else None


def _subject_names_by_grade(folder: Path) -> set[tuple[str, int | None]]:
    """(subject name, grade) pairs from every taxonomy file whose keys are subject names."""
    pairs: set[tuple[str, int | None]] = set()
    derived = json.loads((folder / "DERIVED_subjects_by_grade.json").read_text(encoding="utf-8"))
    for grade, subjects in derived["by_grade"].items():
        pairs |= {(name, int(grade)) for name in subjects}
    for name in (
        "dekiemtra_bapcai_data_grade1-5.json",
        "dekiemtra_chauvantra_curriculum_grade6-9.json",
        "thpt_ledong1080_curriculum_grade6-12.json",
    ):
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        pairs |= {(subject, _grade_number(g)) for subject, grades in data.items() for g in grades}
    yccd = json.loads(
        (folder / "dekiemtra_bapcai_curriculum_db_yccd_grade1-5.json").read_text(encoding="utf-8")
    )
    pairs |= {(subject, _grade_number(g)) for g, subjects in yccd.items() for subject in subjects}
    with (folder / "queries" / "DERIVED_subject_grade_lesson_queries.tsv").open(encoding="utf-8") as fh:
        pairs |= {(row["subject"], int(row["grade"])) for row in csv.DictReader(fh, delimiter="\t")}
    return pairs


class TestRealCurriculumSubjects:
    def test_every_subject_name_in_the_corpora_resolves(self, shared_data: Path) -> None:
        pairs = _subject_names_by_grade(_taxonomy(shared_data))
        assert len({name for name, _ in pairs}) >= 20  # the corpora really were read
        subjects = get_vocabulary("subject")
        unresolved = sorted({name for name, _ in pairs if subjects.lookup(name) is None})
        assert unresolved == []

    def test_with_the_grade_every_name_resolves_to_a_subject_taught_there(self, shared_data: Path) -> None:
        pairs = _subject_names_by_grade(_taxonomy(shared_data))
        subjects = get_vocabulary("subject")
        wrong = []
        for name, grade in sorted(pairs, key=str):
            assert grade is not None, name
            term = subjects.lookup(name, grade=grade)
            if term is None or grade not in (term.grades or ()):
                wrong.append((name, grade, term.code if term else None))
        assert wrong == []

    def test_grade_keys_of_the_corpora_resolve(self, shared_data: Path) -> None:
        folder = _taxonomy(shared_data)
        data = json.loads((folder / "dekiemtra_bapcai_data_grade1-5.json").read_text(encoding="utf-8"))
        keys = {g for grades in data.values() for g in grades}
        assert keys == {f"Lớp {n}" for n in range(1, 6)}
        assert {_grade_number(k) for k in keys} == {1, 2, 3, 4, 5}

    def test_series_names_of_the_corpora_resolve(self, shared_data: Path) -> None:
        folder = _taxonomy(shared_data)
        derived = json.loads((folder / "DERIVED_subjects_by_grade.json").read_text(encoding="utf-8"))
        names = {
            s for subjects in derived["by_grade"].values() for series in subjects.values() for s in series
        }
        series = get_vocabulary("series")
        assert series.lookup("Kết nối tri thức với cuộc sống").code == "ket-noi-tri-thuc"  # type: ignore[union-attr]
        assert series.lookup("Cánh Diều").code == "canh-dieu"  # type: ignore[union-attr]
        # The other names are an English course book and a pre-2018 primary series: not in the facet.
        assert {n for n in names if series.lookup(n) is None} <= {
            "i-Learn Smart Start",
            "Cùng học để phát triển năng lực",
        }
