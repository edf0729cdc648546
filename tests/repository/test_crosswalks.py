"""Crosswalks to schema.org/LRMI JSON-LD and Dublin Core (oai_dc)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from repository.crosswalks import CURRICULUM_FRAMEWORK, DCMI_TYPES, to_lrmi, to_oai_dc
from repository.metadata import validate_metadata
from repository.vocabularies import METADATA_SCHEMAS_DIR, get_vocabulary

DC = "{http://purl.org/dc/elements/1.1/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
URL = "https://hoclieu.example.vn/materials/0190a3c2"
FILES = [
    {
        "url": f"{URL}/files/1",
        "filename": "Phiếu học tập.pdf",
        "media_type": "application/pdf",
        "size": 20480,
        "sha256": "a" * 64,
    },
    {
        "url": f"{URL}/files/2",
        "media_type": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "size": 1_048_576,
        "sha256": "b" * 64,
    },
]


EXAMPLES = sorted((METADATA_SCHEMAS_DIR / "examples").glob("*.json"))


@pytest.fixture
def worksheet() -> dict[str, Any]:
    path = METADATA_SCHEMAS_DIR / "examples" / "worksheet-toan-lop-1.json"
    return validate_metadata(json.loads(path.read_text(encoding="utf-8")))


def _texts(root: ET.Element, name: str) -> list[str]:
    return [el.text or "" for el in root.findall(f"{DC}{name}")]


class TestLrmi:
    def test_output_is_json_ld_learning_resource(self, worksheet: dict[str, Any]) -> None:
        doc = json.loads(json.dumps(to_lrmi(worksheet, id="0190a3c2", url=URL, files=FILES)))
        assert doc["@context"] == "https://schema.org/"
        assert doc["@type"] == "LearningResource"
        assert doc["@id"] == doc["url"] == URL
        assert doc["identifier"] == "0190a3c2"
        assert doc["name"] == worksheet["title"]
        assert doc["description"] == worksheet["description"]

    def test_levels_and_alignments_carry_vietnamese_labels(self, worksheet: dict[str, Any]) -> None:
        doc = to_lrmi(worksheet, id="m", url=URL)
        assert doc["educationalLevel"] == ["Tiểu học", "Lớp 1"]
        alignments = doc["educationalAlignment"]
        assert all(a["@type"] == "AlignmentObject" for a in alignments)
        assert CURRICULUM_FRAMEWORK == "Chương trình GDPT 2018"
        assert all(a["educationalFramework"] == CURRICULUM_FRAMEWORK for a in alignments)
        by_type: dict[str, list[str]] = {}
        for a in alignments:
            by_type.setdefault(a["alignmentType"], []).append(a["targetName"])
        assert by_type == {"educationalLevel": ["Tiểu học", "Lớp 1"], "educationalSubject": ["Toán"]}

    def test_type_outcomes_language_licence_audience(self, worksheet: dict[str, Any]) -> None:
        doc = to_lrmi(worksheet, id="m", url=URL)
        assert doc["learningResourceType"] == "Phiếu học tập"
        assert doc["teaches"] == worksheet["outcomes"]
        assert doc["inLanguage"] == "vi"
        assert doc["license"] == "https://creativecommons.org/licenses/by/4.0/"
        assert doc["audience"] == [
            {"@type": "EducationalAudience", "educationalRole": "student"},
            {"@type": "EducationalAudience", "educationalRole": "teacher"},
        ]
        assert doc["keywords"] == worksheet["keywords"]
        assert doc["isPartOf"] == {"@type": "BookSeries", "name": "Kết nối tri thức với cuộc sống"}

    def test_authors_and_contributors(self) -> None:
        meta = validate_metadata(
            {
                "title": "x",
                "authors": [
                    {"name": "Nguyễn Văn A", "affiliation": "Trường THCS Nguyễn Du"},
                    {"name": "Trần Thị B", "role": "editor"},
                    {"name": "Lê C", "role": "narrator"},
                ],
            }
        )
        doc = to_lrmi(meta, id="m", url=URL)
        assert doc["author"] == [
            {
                "@type": "Person",
                "name": "Nguyễn Văn A",
                "affiliation": {"@type": "Organization", "name": "Trường THCS Nguyễn Du"},
            }
        ]
        assert doc["editor"] == [{"@type": "Person", "name": "Trần Thị B"}]
        assert doc["contributor"] == [{"@type": "Person", "name": "Lê C", "description": "narrator"}]

    def test_files_become_media_objects(self, worksheet: dict[str, Any]) -> None:
        doc = to_lrmi(worksheet, id="m", url=URL, date_created="2025-09-05", files=FILES)
        assert doc["dateCreated"] == "2025-09-05"
        first, second = doc["encoding"]
        assert first == {
            "@type": "MediaObject",
            "contentUrl": f"{URL}/files/1",
            "name": "Phiếu học tập.pdf",
            "encodingFormat": "application/pdf",
            "contentSize": "20480 B",
            "sha256": "a" * 64,
        }
        assert second["contentUrl"] == f"{URL}/files/2"
        assert "name" not in second

    def test_all_rights_reserved_has_no_licence_url(self) -> None:
        meta = validate_metadata({"title": "x", "license": "LicenseRef-all-rights-reserved"})
        doc = to_lrmi(meta, id="m", url=URL)
        assert "license" not in doc
        assert doc["copyrightNotice"] == "Bảo lưu mọi quyền"

    def test_minimal_document_has_no_empty_properties(self) -> None:
        doc = to_lrmi(validate_metadata({"title": "Ôn tập"}), id="m", url=URL)
        assert set(doc) == {"@context", "@type", "@id", "url", "identifier", "name", "inLanguage"}

    def test_every_example_crosswalks(self) -> None:
        for path in (METADATA_SCHEMAS_DIR / "examples").glob("*.json"):
            meta = validate_metadata(json.loads(path.read_text(encoding="utf-8")))
            json.dumps(to_lrmi(meta, id=path.stem, url=URL, files=FILES))


class TestOaiDc:
    def test_parses_with_the_right_namespaces(self, worksheet: dict[str, Any]) -> None:
        root = ET.fromstring(to_oai_dc(worksheet, id="0190a3c2", url=URL, date="2025-09-05", files=FILES))
        assert root.tag == f"{OAI_DC}dc"
        assert all(child.tag.startswith(DC) for child in root)
        location = root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")
        assert (
            location
            == "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
        )

    def test_elements_carry_labels(self, worksheet: dict[str, Any]) -> None:
        root = ET.fromstring(to_oai_dc(worksheet, id="0190a3c2", url=URL, date="2025-09-05", files=FILES))
        assert _texts(root, "title") == [worksheet["title"]]
        assert _texts(root, "creator") == ["Nguyễn Thị Lan"]
        subjects = _texts(root, "subject")
        assert subjects[:3] == ["Toán", "Tiểu học", "Lớp 1"]
        assert set(worksheet["keywords"]) <= set(subjects)
        descriptions = _texts(root, "description")
        assert descriptions[0] == worksheet["description"]
        assert f"Yêu cầu cần đạt: {worksheet['outcomes'][0]}" in descriptions
        assert _texts(root, "type") == ["Text", "Phiếu học tập"]
        assert _texts(root, "language") == ["vi"]
        assert _texts(root, "rights") == ["https://creativecommons.org/licenses/by/4.0/"]
        assert _texts(root, "identifier") == [URL, "0190a3c2"]
        assert _texts(root, "format") == [f["media_type"] for f in FILES]
        assert _texts(root, "date") == ["2025-09-05"]

    def test_markup_and_control_characters_stay_well_formed(self) -> None:
        meta = {"title": 'Bài <1> & "2"\x0b', "keywords": ["a < b"], "language": "vi"}
        xml = to_oai_dc(meta, id="m", url=f"{URL}?a=1&b=2")
        root = ET.fromstring(xml)
        assert _texts(root, "title") == ['Bài <1> & "2"']
        assert _texts(root, "identifier")[0] == f"{URL}?a=1&b=2"
        assert "&amp;" in xml

    def test_contributors_and_licence_label(self) -> None:
        meta = validate_metadata(
            {
                "title": "x",
                "type": "video-bai-giang",
                "license": "LicenseRef-all-rights-reserved",
                "authors": [{"name": "Lê C", "role": "narrator"}],
            }
        )
        root = ET.fromstring(to_oai_dc(meta, id="m", url=URL))
        assert _texts(root, "creator") == []
        assert _texts(root, "contributor") == ["Lê C"]
        assert _texts(root, "rights") == ["Bảo lưu mọi quyền"]
        assert _texts(root, "type") == ["MovingImage", "Video bài giảng"]
        assert _texts(root, "date") == []

    def test_every_resource_type_has_a_dcmi_type(self) -> None:
        assert set(DCMI_TYPES) == set(get_vocabulary("resource-type").codes())

    def test_unknown_code_passes_through_instead_of_failing(self) -> None:
        root = ET.fromstring(to_oai_dc({"title": "x", "subjects": ["thien-van"]}, id="m", url=URL))
        assert _texts(root, "subject") == ["thien-van"]

    @pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
    def test_every_example_crosswalks(self, path: Path) -> None:
        meta = validate_metadata(json.loads(path.read_text(encoding="utf-8")))
        root = ET.fromstring(to_oai_dc(meta, id=path.stem, url=URL, files=FILES))
        assert _texts(root, "title") == [meta["title"]]
