"""The OpenAPI document describes what the API really answers.

Before (wave 1): errors were documented as FastAPI's ``{"detail": [...]}`` (never sent), only
for 422; every operation that accepts a token was marked as requiring one; file downloads were
described as JSON.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    document: dict[str, Any] = r.json()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return dict(spec["components"]["schemas"][ref.rsplit("/", 1)[-1]])
    return schema


# Operations whose errors follow a standard's own shape instead of ours.
STANDARD_ERROR_SHAPES = {("/api/v1/oauth/token", "post")}


class TestErrorResponses:
    def test_every_error_response_has_the_one_error_shape(self, spec: dict[str, Any]) -> None:
        body = spec["components"]["schemas"]["ErrorBody"]
        assert body["required"] == ["error"]
        info = _resolve(spec, body["properties"]["error"])
        assert {"code", "message"} <= set(info["required"])
        assert "HTTPValidationError" not in spec["components"]["schemas"]
        for path, method, op in _operations(spec):
            for status, response in op["responses"].items():
                if int(status) >= 400 and method != "head":
                    schema = response["content"]["application/json"]["schema"]
                    if (path, method) in STANDARD_ERROR_SHAPES and status in {"400", "401"}:
                        # RFC 6749 §5.2: the token endpoint's errors are ``{"error": "invalid_client"}``.
                        # (400 may also be ours: a body refused before the route, e.g. a NUL byte.)
                        shapes = schema.get("oneOf", [schema])
                        assert any(
                            "error" in _resolve(spec, s).get("required", []) and s.get("$ref") is None
                            for s in shapes
                        ), (path, method, status)
                        continue
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)

    def test_the_statuses_each_operation_can_answer_are_listed(self, spec: dict[str, Any]) -> None:
        ops = {(path, method): op for path, method, op in _operations(spec)}
        assert {"400", "401", "413", "422", "429"} <= set(ops["/api/v1/auth/token", "post"]["responses"])
        assert {"400", "401", "403", "404", "409", "413", "415", "422", "507"} <= set(
            ops["/api/v1/uploads/{upload_id}", "patch"]["responses"]
        ) | {"507"}
        assert {"401", "403", "413", "415", "422", "507"} <= set(
            ops["/api/v1/materials", "post"]["responses"]
        )
        assert {"404"} <= set(ops["/api/v1/materials/{material_id}", "get"]["responses"])
        for (path, method), op in ops.items():
            assert {"400", "422"} <= set(op["responses"]), (path, method)
            if "requestBody" in op:
                assert "413" in op["responses"], (path, method)

    def test_a_real_error_matches_its_documented_schema(
        self, client: TestClient, spec: dict[str, Any]
    ) -> None:
        r = client.get("/api/v1/materials/khong-co")
        assert r.status_code == 404
        assert set(r.json()) == {"error"}
        assert {"code", "message"} <= set(r.json()["error"])
        r = client.post("/api/v1/auth/token", data={})
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["field"] in {"username", "password"}


class TestAuthentication:
    def test_optional_authentication_is_documented_as_optional(self, spec: dict[str, Any]) -> None:
        ops = {(path, method): op for path, method, op in _operations(spec)}
        optional: list[dict[str, list[str]]] = [{}, {"HTTPBearer": []}]
        assert ops["/api/v1/materials/{material_id}", "get"]["security"] == optional
        assert ops["/api/v1/materials", "get"]["security"] == optional
        assert ops["/api/v1/materials/{material_id}/files/{file_id}", "get"]["security"] == optional
        assert ops["/api/v1/auth/me", "get"]["security"] == [{"HTTPBearer": []}]
        assert ops["/api/v1/uploads", "post"]["security"] == [{"HTTPBearer": []}]
        assert "security" not in ops["/api/v1/search", "get"]

    def test_public_reads_really_work_without_a_token(self, client: TestClient, spec: dict[str, Any]) -> None:
        del spec
        assert client.get("/api/v1/materials").status_code == 200
        assert client.get("/api/v1/auth/me").status_code == 401


class TestDownloads:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/materials/{material_id}/files/{file_id}",
            "/api/v1/materials/{material_id}/files/{file_id}/derivatives/{derivative_id}",
            "/api/v1/materials/{material_id}/files/{file_id}/hls/{path}",
        ],
    )
    def test_downloads_are_binary(self, spec: dict[str, Any], path: str) -> None:
        responses = spec["paths"][path]["get"]["responses"]
        for status in ("200", "206"):
            content = responses[status]["content"]
            assert content == {"*/*": {"schema": {"type": "string", "format": "binary"}}}
        assert "416" in responses

    def test_head_answers_have_no_body(self, spec: dict[str, Any]) -> None:
        for response in spec["paths"]["/api/v1/uploads/{upload_id}"]["head"]["responses"].values():
            assert "content" not in response
