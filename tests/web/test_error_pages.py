"""Errors a portal visitor can reach are pages in the portal's language; the API keeps JSON."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}


def _client_with_a_failing_page(app: Any) -> TestClient:
    @app.get("/trang-loi")
    def broken() -> None:
        raise RuntimeError("secret detail: /srv/hoclieu/data/hoclieu.db is locked")

    @app.get("/api/v1/loi")
    def broken_api() -> None:
        raise RuntimeError("secret detail: /srv/hoclieu/data/hoclieu.db is locked")

    return TestClient(app, raise_server_exceptions=False)


class TestServerErrorPage:
    def test_an_unexpected_error_is_a_vietnamese_page_without_the_detail(self, app: Any) -> None:
        client = _client_with_a_failing_page(app)
        r = client.get("/trang-loi", headers=HTML)
        assert r.status_code == 500
        assert r.headers["content-type"].startswith("text/html")
        assert '<html lang="vi"' in r.text
        assert "Máy chủ gặp sự cố" in r.text
        assert "Về trang chủ" in r.text
        assert "secret detail" not in r.text
        assert "/srv/" not in r.text
        en = client.get("/trang-loi?lang=en", headers=HTML)
        assert "The server had a problem" in en.text

    def test_the_api_keeps_its_json_error(self, app: Any) -> None:
        client = _client_with_a_failing_page(app)
        r = client.get("/api/v1/loi", headers=HTML)
        assert r.status_code == 500
        assert r.json()["error"]["code"] == "internal_error"
        assert "secret detail" not in r.text


class TestBadRequestPages:
    def test_a_validation_error_on_a_page_is_translated_and_the_api_stays_json(
        self, client: TestClient
    ) -> None:
        r = client.get("/m/khong-co?page=0", headers=HTML)
        assert r.status_code == 422
        assert "Thông tin đã nhập chưa hợp lệ" in r.text
        assert client.get("/api/v1/search?page=0").json()["error"]["code"] == "validation_failed"
