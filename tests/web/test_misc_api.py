from __future__ import annotations

from fastapi.testclient import TestClient


class TestHealth:
    def test_reports_each_component(self, client: TestClient) -> None:
        r = client.get("/api/v1/health")
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "ok"
        assert body["components"]["database"]["status"] == "ok"
        assert body["components"]["storage"]["status"] == "ok"


class TestVocabularies:
    def test_lists_all_with_vietnamese_and_english_labels(self, client: TestClient) -> None:
        body = client.get("/api/v1/vocabularies").json()
        names = {v["name"] for v in body["vocabularies"]}
        assert {
            "subject",
            "grade",
            "level",
            "series",
            "resource-type",
            "license",
            "language",
            "audience",
        } <= names

    def test_one_vocabulary(self, client: TestClient) -> None:
        subject = client.get("/api/v1/vocabularies/subject").json()
        toan = next(t for t in subject["terms"] if t["code"] == "toan")
        assert toan["label"] == {"vi": "Toán", "en": "Mathematics"}

    def test_unknown_vocabulary_is_404(self, client: TestClient) -> None:
        r = client.get("/api/v1/vocabularies/mau-sac")
        assert r.status_code == 404
        assert "subject" in r.json()["error"]["message"]


class TestErrors:
    def test_unknown_api_path_is_json_404(self, client: TestClient) -> None:
        r = client.get("/api/v1/khong-co")
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"

    def test_wrong_method_is_405(self, client: TestClient) -> None:
        r = client.delete("/api/v1/health")
        assert r.status_code == 405

    def test_openapi_docs_are_served(self, client: TestClient) -> None:
        assert client.get("/api/docs").status_code == 200
        assert "/api/v1/materials" in client.get("/api/openapi.json").json()["paths"]
