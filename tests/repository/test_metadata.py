"""The material JSON Schema, its agreement with the vocabularies, and validate_metadata."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from repository.errors import MetadataInvalid
from repository.metadata import (
    CURRENT_SCHEMA,
    SCHEMA_BASE,
    SCHEMA_VERSIONS,
    UNTITLED,
    check_metadata,
    level_for_grades,
    load_schema,
    metadata_title_from_filename,
    metadata_warnings,
    parse_heading_number,
    schema_files,
    validate_metadata,
)
from repository.vocabularies import METADATA_SCHEMAS_DIR, get_vocabulary

EXAMPLES = sorted((METADATA_SCHEMAS_DIR / "examples").glob("*.json"))


def _walk(node: Any) -> Any:
    """Every dict inside a schema."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _invalid(doc: Any, **kwargs: Any) -> MetadataInvalid:
    with pytest.raises(MetadataInvalid) as info:
        validate_metadata(doc, **kwargs)
    return info.value


def _only(error: MetadataInvalid) -> dict[str, Any]:
    assert len(error.details) == 1, error.details
    return error.details[0]


class TestSchemaFiles:
    @pytest.mark.parametrize("path", sorted(METADATA_SCHEMAS_DIR.glob("*.json")), ids=lambda p: p.name)
    def test_every_schema_passes_check_schema(self, path: Path) -> None:
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"{SCHEMA_BASE}{path.name}"

    def test_versions_are_newest_first_and_exist(self) -> None:
        assert CURRENT_SCHEMA == SCHEMA_VERSIONS[0] == "https://hoclieu.edu.vn/schemas/material-v1.0.0.json"
        for schema_id in SCHEMA_VERSIONS:
            assert schema_id in schema_files()
            assert load_schema(schema_id)["$id"] == schema_id

    def test_every_schema_ref_resolves_to_a_definition(self) -> None:
        files = {sid: json.loads(p.read_text(encoding="utf-8")) for sid, p in schema_files().items()}
        for schema in files.values():
            for node in _walk(schema):
                ref = node.get("$ref")
                if not isinstance(ref, str):
                    continue
                target, _, pointer = ref.partition("#")
                document = files[f"{SCHEMA_BASE}{target}"] if target else schema
                for part in pointer.strip("/").split("/"):
                    document = document[part]

    def test_vocabulary_enums_equal_the_vocabulary_files(self) -> None:
        """The vocabulary files are the source of truth; the schema's enums must copy them."""
        seen = set()
        for path in schema_files().values():
            for node in _walk(json.loads(path.read_text(encoding="utf-8"))):
                name = node.get("x-vocabulary")
                if name is None:
                    continue
                seen.add(name)
                codes = get_vocabulary(name).codes()
                if name == "grade":
                    assert node["type"] == "integer"
                    assert [str(g) for g in range(node["minimum"], node["maximum"] + 1)] == codes
                else:
                    assert node["enum"] == codes, name
        assert seen == {
            "level",
            "grade",
            "subject",
            "series",
            "resource-type",
            "audience",
            "language",
            "license",
        }

    def test_material_schema_lists_the_contract_fields(self) -> None:
        schema = load_schema()
        assert list(schema["properties"]) == [
            "$schema",
            "title",
            "description",
            "grades",
            "level",
            "subjects",
            "series",
            "volume",
            "chapter",
            "lesson",
            "type",
            "audience",
            "language",
            "license",
            "authors",
            "keywords",
            "outcomes",
        ]
        assert schema["required"] == ["title"]
        assert schema["additionalProperties"] is False
        for name, prop in schema["properties"].items():
            has_description = "description" in prop or "$ref" in prop
            assert has_description, name


class TestExamples:
    def test_there_are_examples(self) -> None:
        assert len(EXAMPLES) >= 3

    @pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
    def test_example_validates_unchanged(self, path: Path) -> None:
        doc = json.loads(path.read_text(encoding="utf-8"))
        cleaned, warnings = check_metadata(doc)
        assert warnings == []
        assert {k: v for k, v in cleaned.items() if k != "language" or "language" in doc} == doc

    @pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
    def test_plain_jsonschema_with_the_files_alone_accepts_the_example(self, path: Path) -> None:
        """What an external consumer does: load the published files, resolve $refs among them."""
        resources = [
            (sid, Resource.from_contents(json.loads(p.read_text(encoding="utf-8"))))
            for sid, p in schema_files().items()
        ]
        doc = json.loads(path.read_text(encoding="utf-8"))
        validator = Draft202012Validator(
            load_schema(doc["$schema"]), registry=Registry().with_resources(resources)
        )
        assert list(validator.iter_errors(doc)) == []
        assert not validator.is_valid(doc | {"grades": [13]})


class TestValidDocuments:
    def test_minimal_document_gets_schema_and_language(self) -> None:
        assert validate_metadata({"title": "Ôn tập"}) == {
            "$schema": CURRENT_SCHEMA,
            "title": "Ôn tập",
            "language": "vi",
        }

    def test_input_is_not_modified(self) -> None:
        doc = {"title": " Ôn tập ", "grades": [9, 8]}
        validate_metadata(doc)
        assert doc == {"title": " Ôn tập ", "grades": [9, 8]}

    def test_nfd_strings_come_out_nfc_everywhere(self) -> None:
        doc: dict[str, Any] = {
            "title": _nfd("Phương trình bậc hai"),
            "description": _nfd("Bài giảng về phương trình"),
            "chapter": _nfd("Chương IV: Hàm số"),
            "authors": [{"name": _nfd("Nguyễn Văn Đức"), "affiliation": _nfd("Trường THPT Lê Quý Đôn")}],
            "keywords": [_nfd("phương trình")],
            "outcomes": [_nfd("Giải được phương trình bậc hai.")],
        }
        assert doc["title"] != "Phương trình bậc hai"
        out = validate_metadata(doc)
        assert out["title"] == "Phương trình bậc hai"
        assert out["authors"][0] == {"name": "Nguyễn Văn Đức", "affiliation": "Trường THPT Lê Quý Đôn"}
        for text in _strings(out):
            assert unicodedata.is_normalized("NFC", text), text

    def test_whitespace_and_control_characters_are_tidied(self) -> None:
        out = validate_metadata(
            {
                "title": "  Bài  3:\tPhép\x0b cộng \n",
                "description": "Dòng 1  \r\nDòng 2\x00",
                "keywords": ["a", "a"],
            }
        )
        assert out["title"] == "Bài 3: Phép cộng"
        assert out["description"] == "Dòng 1\nDòng 2"
        assert out["keywords"] == ["a"]

    def test_grades_are_sorted_and_deduplicated(self) -> None:
        assert validate_metadata({"title": "x", "grades": [9, 8, 9]})["grades"] == [8, 9]

    def test_fields_come_out_in_schema_order(self) -> None:
        out = validate_metadata({"license": "CC0-1.0", "subjects": ["toan"], "title": "x"})
        assert list(out) == ["$schema", "title", "subjects", "language", "license"]

    def test_partial_does_not_require_title_nor_fill_defaults(self) -> None:
        assert validate_metadata({"subjects": ["toan"]}, partial=True) == {"subjects": ["toan"]}

    def test_partial_still_checks_what_is_given(self) -> None:
        assert _only(_invalid({"subjects": ["toan-hoc"]}, partial=True))["field"] == "subjects[0]"

    def test_every_vocabulary_code_is_accepted(self) -> None:
        fields = {
            "level": "level",
            "series": "series",
            "type": "resource-type",
            "language": "language",
            "license": "license",
        }
        for field, vocabulary in fields.items():
            for code in get_vocabulary(vocabulary).codes():
                assert validate_metadata({"title": "x", field: code})[field] == code
        for code in get_vocabulary("subject").codes():
            validate_metadata({"title": "x", "subjects": [code]})
        validate_metadata({"title": "x", "audience": get_vocabulary("audience").codes()})
        validate_metadata({"title": "x", "grades": list(range(1, 13))})

    def test_multi_level_grades_without_level_are_fine(self) -> None:
        assert validate_metadata({"title": "Ôn tập chuyển cấp", "grades": [9, 10]})["grades"] == [9, 10]


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


class TestInvalidDocuments:
    def test_unknown_subject_names_field_allowed_codes_and_suggestion(self) -> None:
        error = _invalid({"title": "x", "subjects": ["toan", "toan-hoc"]})
        detail = _only(error)
        assert detail["field"] == "subjects[1]"
        assert detail["allowed"] == get_vocabulary("subject").codes()
        assert "did you mean 'toan'" in detail["message"]
        assert error.message.startswith(
            'Invalid metadata: subjects[1]: "toan-hoc" is not a known subject code'
        )
        assert "allowed: tieng-viet, ngu-van, toan," in error.message
        assert error.status_code == 422

    def test_alias_spelled_as_code_gets_a_suggestion(self) -> None:
        detail = _only(_invalid({"title": "x", "subjects": ["Vật lý"]}))
        assert "did you mean 'vat-li'" in detail["message"]

    def test_nonsense_subject_has_no_suggestion(self) -> None:
        detail = _only(_invalid({"title": "x", "subjects": ["thien-van"]}))
        assert "did you mean" not in detail["message"]
        assert "allowed:" in detail["message"]

    def test_grade_thirteen(self) -> None:
        detail = _only(_invalid({"title": "x", "grades": [12, 13]}))
        assert detail["field"] == "grades[1]"
        assert detail["allowed"] == list(range(1, 13))
        assert "13 is not a grade" in detail["message"]

    @pytest.mark.parametrize("value", [0, -1])
    def test_grade_below_one(self, value: int) -> None:
        assert _only(_invalid({"title": "x", "grades": [value]}))["field"] == "grades[0]"

    def test_grade_as_string(self) -> None:
        detail = _only(_invalid({"title": "x", "grades": ["5"]}))
        assert detail["field"] == "grades[0]"
        assert detail["allowed"] == list(range(1, 13))
        assert "without quotes" in detail["message"]

    def test_grade_as_words(self) -> None:
        detail = _only(_invalid({"title": "x", "grades": ["lớp 5"]}))
        assert "write 5 as a number" in detail["message"]

    @pytest.mark.parametrize("value", [True, 5.5, None])
    def test_grade_of_another_type(self, value: Any) -> None:
        assert _only(_invalid({"title": "x", "grades": [value]}))["field"] == "grades[0]"

    def test_grades_not_a_list(self) -> None:
        detail = _only(_invalid({"title": "x", "grades": 5}))
        assert detail["field"] == "grades"
        assert "expected a list" in detail["message"]

    def test_unknown_field_is_named_with_allowed_fields(self) -> None:
        error = _invalid({"title": "x", "subject": ["toan"], "colour": "red"})
        fields = {d["field"]: d for d in error.details}
        assert set(fields) == {"subject", "colour"}
        assert "did you mean 'subjects'" in fields["subject"]["message"]
        assert "subjects" in fields["colour"]["allowed"]
        assert "colour: is not a known field" in error.message

    def test_unknown_field_inside_an_author(self) -> None:
        detail = _only(_invalid({"title": "x", "authors": [{"name": "A", "email": "a@b.vn"}]}))
        assert detail["field"] == "authors[0].email"

    @pytest.mark.parametrize("title", ["", "   ", "\t\n", "\x00"])
    def test_empty_title(self, title: str) -> None:
        detail = _only(_invalid({"title": title}))
        assert detail == {"field": "title", "message": "must not be empty"}

    def test_missing_title(self) -> None:
        detail = _only(_invalid({"subjects": ["toan"]}))
        assert detail == {"field": "title", "message": "is required"}

    def test_title_of_wrong_type(self) -> None:
        assert "expected text" in _only(_invalid({"title": 5}))["message"]

    def test_overlong_title(self) -> None:
        assert "too long" in _only(_invalid({"title": "a" * 501}))["message"]

    def test_wrong_license(self) -> None:
        detail = _only(_invalid({"title": "x", "license": "CC BY 4.0"}))
        assert detail["field"] == "license"
        assert detail["allowed"] == get_vocabulary("license").codes()
        assert "did you mean 'CC-BY-4.0'" in detail["message"]

    def test_unknown_license(self) -> None:
        detail = _only(_invalid({"title": "x", "license": "MIT"}))
        assert "MIT" in detail["message"]
        assert "LicenseRef-all-rights-reserved" in detail["message"]

    @pytest.mark.parametrize(
        ("field", "value", "suggestion"),
        [
            ("level", "cấp 2", "thcs"),
            ("series", "KNTT", "ket-noi-tri-thuc"),
            ("type", "giáo án", "ke-hoach-bai-day"),
            ("language", "vi-VN", "vi"),
        ],
    )
    def test_vocabulary_aliases_are_suggested_not_accepted(
        self, field: str, value: str, suggestion: str
    ) -> None:
        detail = _only(_invalid({"title": "x", field: value}))
        assert detail["field"] == field
        assert f"did you mean {suggestion!r}" in detail["message"]

    def test_audience_as_a_string(self) -> None:
        assert _only(_invalid({"title": "x", "audience": "giao-vien"}))["field"] == "audience"

    def test_volume_as_text_gets_a_hint(self) -> None:
        detail = _only(_invalid({"title": "x", "volume": "Tập 2"}))
        assert detail["field"] == "volume"
        assert "write 2" in detail["message"]

    def test_unknown_author_role(self) -> None:
        detail = _only(_invalid({"title": "x", "authors": [{"name": "A", "role": "boss"}]}))
        assert detail["field"] == "authors[0].role"
        assert "editor" in detail["allowed"]

    def test_author_without_name(self) -> None:
        assert _only(_invalid({"title": "x", "authors": [{"role": "author"}]}))["field"] == "authors[0].name"

    def test_several_problems_are_all_reported(self) -> None:
        error = _invalid({"title": "", "grades": [13], "subjects": ["x"], "foo": 1})
        assert {d["field"] for d in error.details} == {"title", "grades[0]", "subjects[0]", "foo"}
        assert error.message.startswith("Invalid metadata (4 problems): ")

    @pytest.mark.parametrize("doc", [[], "title", 5, None])
    def test_not_an_object(self, doc: Any) -> None:
        assert "must be a JSON object" in _invalid(doc).message

    def test_unknown_schema_version(self) -> None:
        detail = _only(_invalid({"$schema": f"{SCHEMA_BASE}material-v9.0.0.json", "title": "x"}))
        assert detail["field"] == "$schema"
        assert detail["allowed"] == list(SCHEMA_VERSIONS)

    def test_deep_nesting_is_refused_not_crashing(self) -> None:
        deep: Any = "x"
        for _ in range(5000):
            deep = [deep]
        assert "nested too deeply" in _invalid({"title": "x", "keywords": deep}).message

    def test_error_serialises_for_the_api(self) -> None:
        body = _invalid({"title": "x", "grades": [13]}).to_dict()
        assert body["code"] == "metadata_invalid"
        json.dumps(body)


class TestConsistency:
    def test_grades_outside_the_level_are_an_error(self) -> None:
        error = _invalid({"title": "x", "level": "thcs", "grades": [5, 6]})
        detail = _only(error)
        assert detail["field"] == "grades[0]"
        assert detail["allowed"] == [6, 7, 8, 9]
        assert "Trung học cơ sở" in detail["message"]

    def test_preschool_has_no_grades(self) -> None:
        assert _only(_invalid({"title": "x", "level": "mam-non", "grades": [1]}))["allowed"] == []

    def test_subject_outside_its_grades_is_only_a_warning(self) -> None:
        doc, warnings = check_metadata({"title": "x", "grades": [7], "subjects": ["lich-su", "toan"]})
        assert doc["subjects"] == ["lich-su", "toan"]
        assert len(warnings) == 1
        assert warnings[0]["field"] == "subjects[0]"
        assert "lich-su-va-dia-li" in warnings[0]["message"]

    def test_warnings_are_empty_for_a_consistent_document(self) -> None:
        assert metadata_warnings({"title": "x", "grades": [10], "subjects": ["vat-li"]}) == []

    def test_level_for_grades(self) -> None:
        assert level_for_grades([1, 5]) == "tieu-hoc"
        assert level_for_grades([8, 9]) == "thcs"
        assert level_for_grades([12]) == "thpt"
        assert level_for_grades([9, 10]) is None
        assert level_for_grades([]) is None


class TestHelpers:
    @pytest.mark.parametrize(
        ("filename", "title"),
        [
            ("Bai_3_Phep_cong.pptx", "Bai 3 Phep cong"),
            ("Toan lop 5/Bài_1._Thông tin.docx", "Bài 1. Thông tin"),
            ("C:\\Users\\gv\\De thi HK1.pdf", "De thi HK1"),
            ("Bài 1. Thông tin và dữ liệu", "Bài 1. Thông tin và dữ liệu"),
            ("lesson.tar.gz", "lesson"),
            (unicodedata.normalize("NFD", "Hoá_học__10.pdf"), "Hoá học 10"),
            (".pptx", UNTITLED),
            ("___.pdf", UNTITLED),
        ],
    )
    def test_title_from_filename(self, filename: str, title: str) -> None:
        result = metadata_title_from_filename(filename)
        assert result == title
        assert unicodedata.is_normalized("NFC", result)
        validate_metadata({"title": result})

    @pytest.mark.parametrize(
        ("heading", "number"),
        [
            ("Bài 12: Phép chia", 12),
            ("bài 3. Thứ tự", 3),
            ("Chương IV. Hàm số", 4),
            ("CHƯƠNG IX: Xác suất", 9),
            ("Chủ đề 2: Hình phẳng", 2),
            ("Unit 7 Traffic", 7),
            ("Ôn tập cuối năm", None),
        ],
    )
    def test_heading_number(self, heading: str, number: int | None) -> None:
        assert parse_heading_number(heading) == number
