"""Every input is answered 4xx, never 500, on this test session's database (SQLite, or PostgreSQL
with ``HOCLIEU_DATABASE_URL``; ``.ci/run`` runs both).

Before (wave 1): ``?q=%00`` reached PostgreSQL (``A string literal cannot contain NUL``) and a
JSON ``"\\ud800"`` reached the encoder of either database: HTTP 500 each time, on different
routes on each database. Now ``web.input_guard`` answers 400 before any route runs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import upload

NUL = "\x00"
SURROGATE = "\ud800"


@pytest.fixture
def material_id(client: TestClient, people: Any) -> str:
    r = upload(
        client, people["co_lan"], [("bai.txt", "Phân số lớp 5".encode(), "text/plain")], {"title": "Phân số"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _json(body: Any) -> bytes:
    # ensure_ascii keeps the lone surrogate as the escape "\ud800", as a real client sends it.
    return json.dumps(body, ensure_ascii=True).encode()


class TestNulAndSurrogates:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/materials/%00",
            "/api/v1/materials/abc%00def/files/x",
            "/api/v1/vocabularies/sub%00ject",
            "/api/v1/materials/x/versions/1%00",
            "/materials/%00",
            "/api/v1/uploads/%00",
        ],
    )
    def test_nul_in_the_path_is_400(self, client: TestClient, people: Any, path: str) -> None:
        r = client.get(path, headers=people["quan_tri"])
        assert r.status_code == 400, r.text

    @pytest.mark.parametrize(
        "url",
        [
            "/api/v1/search?q=ph%C3%A2n%00s%E1%BB%91",
            "/api/v1/search?q=a&subject=%00",
            "/api/v1/suggest?q=%00",
            "/api/v1/materials?state=%00",
            "/api/v1/audit?action=auth.%00",
            "/api/v1/review/queue?page=%00",
            "/api/v1/browse?grade=%00",
            "/oai?verb=ListRecords&metadataPrefix=oai_dc&set=%00",
            "/search?q=%00",
            "/signin?next=/%00",
        ],
    )
    def test_nul_in_the_query_is_400(self, client: TestClient, people: Any, url: str) -> None:
        r = client.get(url, headers=people["quan_tri"])
        assert r.status_code == 400, r.text

    @pytest.mark.parametrize(
        "form",
        [
            {"username": f"co{NUL}lan", "password": "x"},
            {"username": "co_lan", "password": f"mat{NUL}khau"},
        ],
    )
    def test_nul_in_a_form_is_400(self, client: TestClient, people: Any, form: dict[str, str]) -> None:
        del people
        assert client.post("/api/v1/auth/token", data=form).status_code == 400
        assert client.post("/signin", data=form | {"csrf_token": "x"}).status_code == 400

    @pytest.mark.parametrize("bad", [NUL, SURROGATE, "\udfff", f"a{NUL}b"])
    @pytest.mark.parametrize(
        ("method", "url", "who", "body"),
        [
            ("POST", "/api/v1/admin/users", "quan_tri", lambda b: {"username": f"u{b}", "role": "teacher"}),
            (
                "POST",
                "/api/v1/admin/users",
                "quan_tri",
                lambda b: {"username": "thu", "role": "teacher", "display_name": b},
            ),
            ("PATCH", "/api/v1/admin/users/co_lan", "quan_tri", lambda b: {"display_name": b}),
            ("POST", "/api/v1/auth/tokens", "co_lan", lambda b: {"name": b}),
            (
                "POST",
                "/api/v1/auth/password",
                "co_lan",
                lambda b: {"current_password": b, "new_password": "x" * 9},
            ),
            ("PATCH", "/api/v1/materials/{m}", "co_lan", lambda b: {"metadata": {"title": b}}),
            (
                "PATCH",
                "/api/v1/materials/{m}",
                "co_lan",
                lambda b: {"metadata": {"title": "x", "keywords": [b]}},
            ),
            ("PATCH", "/api/v1/materials/{m}", "co_lan", lambda b: {"metadata": {f"k{b}": 1}}),
            ("POST", "/api/v1/materials/{m}/comments", "co_lan", lambda b: {"body": b}),
            ("POST", "/api/v1/materials/{m}/takedown", "co_lan", lambda b: {"reason": b}),
            (
                "POST",
                "/api/v1/materials/{m}/review",
                "quan_tri",
                lambda b: {"decision": "approve", "comment": b},
            ),
            (
                "POST",
                "/api/v1/review/bulk",
                "quan_tri",
                lambda b: {"material_ids": [b], "decision": "approve"},
            ),
            ("POST", "/api/v1/materials", "co_lan", lambda b: {"uploads": [b], "metadata": {}}),
        ],
    )
    def test_nul_or_lone_surrogate_in_any_json_field_is_400(
        self,
        client: TestClient,
        people: Any,
        material_id: str,
        bad: str,
        method: str,
        url: str,
        who: str,
        body: Any,
    ) -> None:
        r = client.request(
            method,
            url.format(m=material_id),
            content=_json(body(bad)),
            headers=people[who] | {"Content-Type": "application/json"},
        )
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "bad_request"

    def test_a_json_body_without_content_type_is_checked_too(self, client: TestClient, people: Any) -> None:
        r = client.post("/api/v1/auth/tokens", content=_json({"name": SURROGATE}), headers=people["co_lan"])
        assert r.status_code == 400

    @pytest.mark.parametrize("bad", [NUL, SURROGATE])
    def test_nul_or_surrogate_in_the_multipart_metadata_is_400(
        self, runtime: Any, client: TestClient, people: Any, bad: str
    ) -> None:
        metadata = json.dumps({"title": f"Bài{bad}1"}, ensure_ascii=True)
        r = upload(client, people["co_lan"], [("a.txt", b"abc", "text/plain")], metadata)
        assert r.status_code == 400, r.text
        assert [p for p in runtime.blobs.staging_dir.iterdir() if p.is_file()] == []

    def test_nul_in_a_multipart_file_name_is_cleaned_not_stored(
        self, client: TestClient, people: Any
    ) -> None:
        r = upload(client, people["co_lan"], [("bai\x00tap.txt", b"abc", "text/plain")], {"title": "T"})
        assert r.status_code == 201, r.text
        assert "\x00" not in r.json()["files"][0]["filename"]


class TestMalformedBodies:
    @pytest.mark.parametrize(
        "body",
        [
            b"\xff\xfe{not utf-8",
            b'{"name": "a"',
            b"[" * 100_000,
            b'{"name": ' + b'"' + b"\\u" + b'"}',
            b"\x00\x00\x00",
            b"",
        ],
    )
    def test_broken_json_is_4xx(self, client: TestClient, people: Any, body: bytes) -> None:
        r = client.post(
            "/api/v1/auth/tokens",
            content=body,
            headers=people["co_lan"] | {"Content-Type": "application/json"},
        )
        assert 400 <= r.status_code < 500, r.text

    @pytest.mark.parametrize(
        "content_type",
        [
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=" + "a" * 5000,
            'multipart/form-data; boundary="unterminated',
            "multipart/form-data; boundary=abc; boundary=def",
            "application/json; charset=utf-16",
            "text/plain",
        ],
    )
    def test_odd_content_types_on_an_upload_are_4xx(
        self, client: TestClient, people: Any, content_type: str
    ) -> None:
        body = (
            b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
            b"abc\r\n--abc--\r\n"
        )
        r = client.post(
            "/api/v1/materials", content=body, headers=people["co_lan"] | {"Content-Type": content_type}
        )
        assert 400 <= r.status_code < 500, r.text

    @pytest.mark.parametrize(
        "body",
        [
            b"--abc\r\nno headers at all\r\n--abc--\r\n",
            b'--abc\r\nContent-Disposition: form-data; name="file"\r\n\r\nno filename\r\n--abc--\r\n',
            b'--abc\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--abc--\r\n',
            b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated',
            b'--abc\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"title": \r\n--abc--\r\n',
            b'--abc\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n[1, 2]\r\n--abc--\r\n',
            b"--abc--\r\n",
            b"garbage",
        ],
    )
    def test_malformed_multipart_is_4xx(
        self, runtime: Any, client: TestClient, people: Any, body: bytes
    ) -> None:
        r = client.post(
            "/api/v1/materials",
            content=body,
            headers=people["co_lan"] | {"Content-Type": "multipart/form-data; boundary=abc"},
        )
        assert 400 <= r.status_code < 500, r.text
        assert [p for p in runtime.blobs.staging_dir.iterdir() if p.is_file()] == []


class TestAbsurdHeaders:
    @pytest.mark.parametrize(
        "headers",
        [
            {"Authorization": "Bearer " + "x" * 20_000},
            {"Authorization": "Basic Y29fbGFuOnNhaQ=="},
            {"Authorization": "Bearer"},
            {"Authorization": "Bearer hl_\u00ff\u00fe".encode("latin-1")},
            {"Cookie": "hl_session=" + ":" * 5000 + "; hl_csrf=" + "=" * 100},
            {"Cookie": "hl_session=abc:def; lang=\u00e9".encode("latin-1")},
            {"Accept-Language": "vi;q=abc, ,,;;, en;q=-1, *;q=99999999999999999999"},
            {"Accept-Language": "x" * 10_000},
            {"Accept": "text/html;q=nan, */*;q=inf"},
            {"Range": "bytes=abc-def"},
            {"Range": "bytes=99999999999999999999999-"},
            {"Range": "bytes=" + ",".join(f"{i}-{i}" for i in range(2000))},
            {"If-None-Match": '"' + "a" * 5000},
            {"If-Modified-Since": "yesterday, at noon"},
            {"Content-Length": "0", "Transfer-Encoding": "chunked"},
            {"X-Forwarded-For": ("\u00ff" * 100).encode("latin-1")},
            {"Tus-Resumable": ("\u00b2").encode("latin-1")},
            {"X-CSRF-Token": ("\u00e9" * 300).encode("latin-1")},
            {"Host": ("\u00e9vil.example").encode("latin-1")},
        ],
    )
    def test_odd_headers_never_give_500(
        self, client: TestClient, people: Any, material_id: str, headers: dict[str, str]
    ) -> None:
        del people
        file_id = None
        for url in (
            "/api/v1/auth/me",
            f"/api/v1/materials/{material_id}",
            "/api/v1/search?q=toan",
            "/",
            "/teach",
            "/api/v1/uploads",
        ):
            r = client.get(url, headers=headers)
            assert r.status_code < 500, (url, headers, r.text[:300])
        r = client.post("/api/v1/uploads", headers=headers | {"Upload-Length": "10"})
        assert r.status_code < 500, r.text[:300]
        del file_id

    def test_header_with_nul_is_400(self, client: TestClient) -> None:
        r = client.get("/api/v1/search?q=a", headers={"X-Anything": "a\x00b"})
        assert r.status_code == 400
