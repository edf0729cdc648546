"""Attack: a teacher's file that a browser would run (HTML, XHTML, SVG, XML with a stylesheet,
HTML named img.png or notes.txt, a SCORM package, unknown bytes) opened on the portal's origin.

Whatever the name, declared type or ``?download=false``, such a file is an attachment, typed so
no browser runs it, with ``nosniff`` and a CSP sandbox; passive formats stay viewable inline.
Caching: only approved public files are ``public, immutable``; anything else ``private, no-store``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.content_safety import delivery_for, is_markup
from tests.security.conftest import World, build
from tests.security.payloads import ATTACKS, PASSIVE


class TestSniffing:
    @pytest.mark.parametrize("name", sorted(ATTACKS))
    def test_active_or_unknown_bytes_are_never_inline(self, name: str) -> None:
        d = delivery_for(ATTACKS[name])
        assert not d.inline
        assert d.media_type == "application/octet-stream"
        assert d.csp is not None and d.csp.startswith("sandbox")

    @pytest.mark.parametrize("name", sorted(PASSIVE))
    def test_passive_formats_are_inline_as_what_they_are(self, name: str) -> None:
        data, media_type = PASSIVE[name]
        d = delivery_for(data)
        assert d.inline and d.media_type == media_type

    @pytest.mark.parametrize(
        "head",
        [
            b"\xef\xbb\xbf<html><script>x</script>",  # a BOM before the markup
            b"Bai tap\n\n" + b"x" * 600 + b"<svg onload=alert(1)>",  # markup later in the head
            b"<SCRIPT>alert(1)</SCRIPT>",
            b"<!-- hello --><b>x</b>",
            b"<svg:svg xmlns:svg='http://www.w3.org/2000/svg'/>",
            b"<?xml version='1.0'?><x/>",
            b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00",  # UTF-16 HTML
        ],
    )
    def test_markup_anywhere_in_text_makes_it_an_attachment(self, head: bytes) -> None:
        assert not delivery_for(head).inline

    def test_pdf_is_inline_without_a_sandbox_that_would_stop_the_viewer(self) -> None:
        d = delivery_for(b"%PDF-1.7\n")
        assert d.inline and d.csp == "frame-ancestors 'self'"

    def test_html_lessons_are_recognised_as_markup_for_the_content_origin(self) -> None:
        assert is_markup(ATTACKS["bai-tap.html"]) and not is_markup(b"%PDF-1.4")


@pytest.fixture
def attack_world(runtime: Any) -> World:
    return build(runtime, ATTACKS)


class TestDownloadRoute:
    @pytest.mark.parametrize("name", sorted(ATTACKS))
    def test_an_admin_opening_the_file_gets_a_sandboxed_attachment(
        self, client: TestClient, attack_world: World, name: str
    ) -> None:
        w = attack_world
        url = f"/api/v1/materials/{w.ids[name]}/files/{w.ids[f'file:{name}']}?download=false"
        r = client.get(url, headers=w.bearer("admin"))
        assert r.status_code == 200
        assert r.content == ATTACKS[name]
        assert r.headers["content-disposition"].startswith("attachment;")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-security-policy"] == "sandbox; default-src 'none'"
        assert r.headers["content-type"].split(";")[0] not in ("text/html", "image/svg+xml", "text/xml")

    @pytest.mark.parametrize("name", sorted(PASSIVE))
    def test_passive_files_are_viewable_inline(self, client: TestClient, world: World, name: str) -> None:
        r = client.get(f"/api/v1/materials/{world.ids[name]}/files/{world.ids[f'file:{name}']}?download=false")
        assert r.status_code == 200
        assert r.headers["content-disposition"].startswith("inline;")
        assert r.headers["content-type"] == PASSIVE[name][1]
        assert r.headers["x-content-type-options"] == "nosniff"
        csp = r.headers["content-security-policy"]
        assert "object-src" not in csp  # never the portal's page policy (it would block the PDF viewer)
        assert csp.startswith("sandbox") or name.endswith(".pdf")

    def test_a_download_is_an_attachment_even_for_passive_files(self, client: TestClient, world: World) -> None:
        r = client.get(f"/api/v1/materials/{world.ids['anh.png']}/files/{world.ids['file:anh.png']}")
        assert r.headers["content-disposition"].startswith("attachment;")
        assert r.headers["content-type"] == "image/png"

    def test_html_derivative_is_also_an_attachment(self, runtime: Any, client: TestClient, world: World) -> None:
        # A package's unpacked page or any derivative is sniffed the same way as an original.
        from repository.models import Derivative
        from repository.uow import UnitOfWork
        from tests.security.conftest import stored

        new = stored(runtime, "x.html", ATTACKS["bai-tap.html"])
        with UnitOfWork(runtime.db) as uow:
            d = Derivative(
                file_id=world.ids["file:anh.png"], kind="thumbnail", label="large", media_type="image/webp",
                size=new.blob.size, sha256=new.blob.sha256, storage_key=new.blob.key,
            )
            uow.session.add(d)
            uow.session.flush()
            derivative_id = d.id
        r = client.get(
            f"/api/v1/materials/{world.ids['anh.png']}/files/{world.ids['file:anh.png']}/derivatives/{derivative_id}"
        )
        assert r.headers["content-disposition"].startswith("attachment;")
        assert r.headers["content-security-policy"].startswith("sandbox")


class TestCaching:
    def _get(self, client: TestClient, w: World, material: str, file: str, role: str | None = None) -> Any:
        headers = w.bearer(role) if role else {}
        r = client.get(f"/api/v1/materials/{w.ids[material]}/files/{w.ids[file]}", headers=headers)
        assert r.status_code == 200, r.text
        return r

    def test_approved_public_files_are_public_and_immutable(self, client: TestClient, world: World) -> None:
        r = self._get(client, world, "cong-khai.pdf", "file:cong-khai.pdf")
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        # The same file fetched by a signed-in reviewer is the same public bytes.
        r = self._get(client, world, "cong-khai.pdf", "file:cong-khai.pdf", "curator")
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"

    @pytest.mark.parametrize(
        ("material", "file"), [("sub", "sub_file"), ("draft", "draft_file"), ("cong-khai.pdf", "next_file")]
    )
    def test_anything_not_public_is_private_no_store(
        self, client: TestClient, world: World, material: str, file: str
    ) -> None:
        r = self._get(client, world, material, file, "teacher")
        assert r.headers["cache-control"] == "private, no-store"
        assert r.headers["x-content-type-options"] == "nosniff"

    def test_the_next_versions_file_is_not_public(self, client: TestClient, world: World) -> None:
        r = client.get(f"/api/v1/materials/{world.ids['cong-khai.pdf']}/files/{world.ids['next_file']}")
        assert r.status_code == 404

    def test_json_of_a_submission_is_private_no_store(self, client: TestClient, world: World) -> None:
        r = client.get(f"/api/v1/materials/{world.ids['sub']}", headers=world.bearer("curator"))
        assert r.status_code == 200
        assert r.headers["cache-control"] == "private, no-store"

    def test_withdrawn_material_is_no_longer_cached_publicly(self, runtime: Any, client: TestClient, world: World) -> None:
        from repository.curation.workflow import workflow
        from repository.models import User
        from repository.uow import UnitOfWork

        with UnitOfWork(runtime.db) as uow:
            owner = uow.session.get(User, world.ids["user_teacher"])
            workflow.takedown(uow.session, owner, world.ids["anh.png"], reason="Sai nội dung")
        r = self._get(client, world, "anh.png", "file:anh.png", "teacher")
        assert r.headers["cache-control"] == "private, no-store"
