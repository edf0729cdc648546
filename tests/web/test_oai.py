"""Harvesting over HTTP: ``/oai`` (GET and POST) and the per-material LRMI / oai_dc exports."""

from __future__ import annotations

import json
import unicodedata
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from repository.models import Role, WorkflowState
from repository.runtime import Runtime
from repository.uow import UnitOfWork
from tests.factories import create_material, create_user, token_for
from tests.repository.test_oai import (
    DC,
    OAI,
    OAI_DC,
    check_header,
    check_record,
    envelope,
    error_code,
    many_public,
)

ENDPOINT = "http://127.0.0.1:8000/oai"  # settings.base_url of the test settings + /oai


def world(runtime: Runtime) -> dict[str, str]:
    """An approved grade-1 maths worksheet (admin's) and a teacher's draft."""
    with UnitOfWork(runtime.db) as uow:
        admin = create_user(uow.session, username="quan_tri", role=Role.admin)
        teacher = create_user(uow.session, username="co_lan", role=Role.teacher)
        pub = create_material(
            uow.session,
            runtime,
            admin,
            title="Phiếu học tập: Phép cộng trong phạm vi 10",
            state=WorkflowState.approved,
            filename="phép-cộng.pdf",
            metadata={"subjects": ["toan"], "grades": [1], "type": "phieu-hoc-tap", "license": "CC-BY-4.0"},
        )
        draft = create_material(uow.session, runtime, teacher, title="Bản nháp", content=b"draft")
        return {"pub": pub.id, "draft": draft.id}


def oai_get(client: TestClient, **params: str) -> ET.Element:
    response = client.get("/oai", params=params)
    assert response.status_code == 200  # errors too: OAI-PMH carries them in the document
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    return envelope(response.content, endpoint=ENDPOINT)


class TestOaiEndpoint:
    def test_get_and_post_answer_alike(self, runtime: Runtime, client: TestClient) -> None:
        ids = world(runtime)
        args = {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "subject:toan"}
        by_get = oai_get(client, **args)
        response = client.post("/oai", data=args)
        assert response.status_code == 200
        by_post = envelope(response.content, endpoint=ENDPOINT)
        for root in (by_get, by_post):
            records = [check_record(r) for r in root.iter(f"{OAI}record")]
            assert [r["identifier"] for r in records] == [f"oai:127.0.0.1:{ids['pub']}"]
            assert records[0]["title"] == "Phiếu học tập: Phép cộng trong phạm vi 10"

    def test_records_link_to_absolute_urls(self, runtime: Runtime, client: TestClient) -> None:
        ids = world(runtime)
        root = oai_get(
            client, verb="GetRecord", metadataPrefix="oai_dc", identifier=f"oai:127.0.0.1:{ids['pub']}"
        )
        dc = check_record(root.find(f"{OAI}GetRecord/{OAI}record"))["dc"]  # type: ignore[arg-type]
        assert f"http://127.0.0.1:8000/m/{ids['pub']}" in [e.text for e in dc.findall(f"{DC}identifier")]
        assert dc.findtext(f"{DC}format") == "application/pdf"

    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({}, "badVerb"),
            ({"verb": "Delete"}, "badVerb"),
            ({"verb": "ListRecords"}, "badArgument"),
            ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
            (
                {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:127.0.0.1:nope"},
                "idDoesNotExist",
            ),
            ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "grade:12"}, "noRecordsMatch"),
            ({"verb": "ListRecords", "resumptionToken": "eyJ2IjoxfQ.AAAA"}, "badResumptionToken"),
        ],
    )
    def test_errors_are_http_200(
        self, runtime: Runtime, client: TestClient, params: dict[str, str], code: str
    ) -> None:
        world(runtime)
        assert error_code(oai_get(client, **params)) == code

    def test_post_without_a_form_is_bad_verb(self, runtime: Runtime, client: TestClient) -> None:
        response = client.post(
            "/oai", content=b"", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert response.status_code == 200
        assert error_code(envelope(response.content, endpoint=ENDPOINT)) == "badVerb"

    def test_post_body_too_large_is_bad_argument(self, runtime: Runtime, client: TestClient) -> None:
        body = b"verb=Identify&x=" + b"a" * 100_000
        response = client.post(
            "/oai", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert error_code(envelope(response.content, endpoint=ENDPOINT)) == "badArgument"

    def test_harvest_over_http_with_tokens(self, runtime: Runtime, client: TestClient) -> None:
        with UnitOfWork(runtime.db) as uow:
            admin = create_user(uow.session, username="quan_tri", role=Role.admin)
            expected = set(many_public(uow.session, admin, 150, title="Tiếng Việt", subjects=["tieng-viet"]))
        seen: set[str] = set()
        root = oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
        pages = 0
        while True:
            pages += 1
            node = root.find(f"{OAI}ListIdentifiers")
            assert node is not None
            seen |= {check_header(h)["identifier"].rsplit(":", 1)[1] for h in node.findall(f"{OAI}header")}
            token = node.findtext(f"{OAI}resumptionToken")
            if not token:
                break
            # Harvesters mix GET and POST; the token works with both.
            if pages % 2:
                root = envelope(
                    client.post("/oai", data={"verb": "ListIdentifiers", "resumptionToken": token}).content,
                    endpoint=ENDPOINT,
                )
            else:
                root = oai_get(client, verb="ListIdentifiers", resumptionToken=token)
        assert pages == 2
        assert seen == expected

    def test_identify_over_http(self, client: TestClient) -> None:
        node = oai_get(client, verb="Identify").find(f"{OAI}Identify")
        assert node is not None
        assert node.findtext(f"{OAI}baseURL") == ENDPOINT
        assert node.findtext(f"{OAI}deletedRecord") == "transient"


class TestExports:
    def test_lrmi_json_ld(self, runtime: Runtime, client: TestClient) -> None:
        ids = world(runtime)
        response = client.get(f"/api/v1/materials/{ids['pub']}/lrmi")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/ld+json")
        doc = json.loads(response.content.decode("utf-8"))
        assert doc["@context"] == "https://schema.org/"
        assert doc["@type"] == "LearningResource"
        assert doc["@id"] == doc["url"] == f"http://127.0.0.1:8000/m/{ids['pub']}"
        assert doc["name"] == "Phiếu học tập: Phép cộng trong phạm vi 10"
        assert doc["learningResourceType"] == "Phiếu học tập"
        assert {
            "@type": "AlignmentObject",
            "alignmentType": "educationalSubject",
            "educationalFramework": "Chương trình GDPT 2018",
            "targetName": "Toán",
        } in doc["educationalAlignment"]
        assert doc["license"].startswith("https://creativecommons.org/licenses/by/4.0")
        [encoding] = doc["encoding"]
        assert encoding["contentUrl"].startswith(
            f"http://127.0.0.1:8000/api/v1/materials/{ids['pub']}/files/"
        )
        assert encoding["name"] == unicodedata.normalize("NFC", "phép-cộng.pdf")
        assert client.get(encoding["contentUrl"].removeprefix("http://127.0.0.1:8000")).status_code == 200

    def test_oai_dc_xml(self, runtime: Runtime, client: TestClient) -> None:
        ids = world(runtime)
        response = client.get(f"/api/v1/materials/{ids['pub']}/oai_dc")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/xml; charset=utf-8"
        root = ET.fromstring(response.content)
        assert root.tag == f"{OAI_DC}dc"
        assert root.findtext(f"{DC}title") == "Phiếu học tập: Phép cộng trong phạm vi 10"
        assert f"http://127.0.0.1:8000/m/{ids['pub']}" in [e.text for e in root.findall(f"{DC}identifier")]

    @pytest.mark.parametrize("fmt", ["lrmi", "oai_dc"])
    def test_same_visibility_as_the_material(self, runtime: Runtime, client: TestClient, fmt: str) -> None:
        ids = world(runtime)
        assert client.get(f"/api/v1/materials/{ids['draft']}/{fmt}").status_code == 404
        assert client.get(f"/api/v1/materials/{ids['draft']}").status_code == 404
        owner = token_for(client, "co_lan")
        assert client.get(f"/api/v1/materials/{ids['draft']}/{fmt}", headers=owner).status_code == 200
        assert client.get(f"/api/v1/materials/does-not-exist/{fmt}").status_code == 404
