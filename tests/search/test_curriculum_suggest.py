from __future__ import annotations

import unicodedata

from fastapi.testclient import TestClient

from search.service import curriculum_suggestions


class TestCurriculumSuggestions:
    def test_subject_and_grade_typed_without_accents(self) -> None:
        assert [s.text for s in curriculum_suggestions("toan lop 5")] == ["Toán lớp 5"]
        assert curriculum_suggestions("toan lop 5")[0].value == "toan:5"
        assert curriculum_suggestions("toan lop 5")[0].kind == "curriculum"

    def test_grade_prefix_and_only_grades_where_the_subject_is_taught(self) -> None:
        assert [s.text for s in curriculum_suggestions("Toán lớp 1")] == [
            "Toán lớp 1",
            "Toán lớp 10",
            "Toán lớp 11",
            "Toán lớp 12",
        ]
        assert [s.text for s in curriculum_suggestions("vat ly 1")] == [
            "Vật lí lớp 10",
            "Vật lí lớp 11",
            "Vật lí lớp 12",
        ]
        assert [s.value for s in curriculum_suggestions("KHTN lớp", size=8)] == [
            "khoa-hoc-tu-nhien:6",
            "khoa-hoc-tu-nhien:7",
            "khoa-hoc-tu-nhien:8",
            "khoa-hoc-tu-nhien:9",
        ]

    def test_nfd_and_a_bare_subject_leave_room_for_titles(self) -> None:
        nfd = unicodedata.normalize("NFD", "Tiếng Việt")
        assert [s.text for s in curriculum_suggestions(nfd)] == [
            "Tiếng Việt lớp 1",
            "Tiếng Việt lớp 2",
            "Tiếng Việt lớp 3",
        ]

    def test_no_subject_no_suggestion(self) -> None:
        assert curriculum_suggestions("phan so") == []
        assert curriculum_suggestions("toan lop x") == []
        assert curriculum_suggestions("") == []


class TestSuggestApi:
    def test_api_offers_the_curriculum_completion_first(self, client: TestClient) -> None:
        body = client.get("/api/v1/suggest", params={"q": "toan lop 5"}).json()
        assert body["suggestions"][0] == {
            "text": "Toán lớp 5",
            "kind": "curriculum",
            "id": None,
            "value": "toan:5",
        }
