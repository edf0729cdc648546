"""Offline packages from real ingested, signed materials: contents, self-containment,
verification (and tampering caught), incremental updates, the CLI and the API."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from repository.errors import NotFound, ValidationFailed
from repository.material.store import MaterialStore
from repository.offline.package import (
    MANIFEST_NAME,
    PackageError,
    Plan,
    Selection,
    apply_update,
    build,
    build_update,
    extract,
    read_document,
    tree_digest,
    verify_package,
)
from repository.offline.site import fold_key
from repository.signing import canonical_json, signer_for
from tests.repository.offline.conftest import DECK, PDF, VIDEO, WORKSHEET, Library

TOAN_5 = Selection(grade=5, subject="toan")


def make(library: Library, out: Path, selection: Selection = TOAN_5) -> Plan:
    rt = library.runtime
    with rt.db.read() as session:
        return build(
            session, rt.blobs, signer_for(rt.settings), selection, out, source="https://hoclieu.test"
        )


def unpack(package: Path, folder: Path) -> Path:
    extract(package, folder)
    return folder


def derivative(library: Library, name: str, label: str) -> Any:
    from repository.material.store import MaterialStore

    with library.runtime.db.read() as session:
        m = MaterialStore.from_session(session).get_full(library.ids[name])
        assert m is not None
        return next(d for f in m.files for d in f.derivatives if d.label == label)


class TestContents:
    def test_package_holds_the_browse_tree_pages_media_and_search_index(
        self, library: Library, tmp_path: Path
    ) -> None:
        p = make(library, tmp_path / "toan5.zip")
        site = unpack(tmp_path / "toan5.zip", tmp_path / "site")
        assert (site / "index.html").is_file()
        assert 'href="lop-5/index.html"' in (site / "index.html").read_text()
        subject = (site / "lop-5/toan/index.html").read_text()
        assert "Toán · Lớp 5" in subject
        lesson = re.search(r'<a href="([^"]+)">Bài 19: Diện tích hình tam giác</a>', subject)
        assert lesson, subject
        lesson_page = (site / "lop-5/toan" / lesson.group(1)).read_text()
        video_id = library.ids[VIDEO]
        assert f'href="../../m/{video_id}.html"' in lesson_page
        # The material page plays the 360p rendition and offers the listen-only audio.
        page = (site / f"m/{video_id}.html").read_text()
        r360 = derivative(library, VIDEO, "360p")
        speech = derivative(library, VIDEO, "speech")
        assert f'src="../files/{r360.sha256[:2]}/{r360.sha256}.mp4"' in page
        assert f'src="../files/{speech.sha256[:2]}/{speech.sha256}.webm" type="audio/webm"' in page
        assert "Chỉ nghe" in page
        assert (site / f"files/{r360.sha256[:2]}/{r360.sha256}.mp4").read_bytes()[4:8] == b"ftyp"
        # The PDF: its page images and the PDF itself.
        pdf_page = (site / f"m/{library.ids[PDF]}.html").read_text()
        assert "Trang 1 / " in pdf_page
        assert "Mở bản PDF" in pdf_page
        assert {m["id"] for m in p.manifest["materials"]} >= {library.ids[n] for n in (VIDEO, PDF, DECK)}

    def test_captions_go_into_the_package(self, library: Library, tmp_path: Path) -> None:
        from repository.material.captions import captions
        from repository.uow import UnitOfWork
        from repository.user.service import user as user_service

        rt = library.runtime
        with UnitOfWork(rt.db) as uow:
            system = user_service.system_user(uow.session)
            full = MaterialStore.from_session(uow.session).get_full(library.ids[VIDEO])
            assert full is not None
            file_id = full.files[0].id
            captions.set(
                uow.session,
                rt.blobs,
                system,
                library.ids[VIDEO],
                file_id,
                lang="vi",
                raw="1\n00:00:00,500 --> 00:00:05,000\nDiện tích hình tam giác\n".encode(),
            )
        make(library, tmp_path / "p.zip")
        site = unpack(tmp_path / "p.zip", tmp_path / "site")
        page = (site / f"m/{library.ids[VIDEO]}.html").read_text()
        # Inline (Chromium plays no <track> file under file://) and as a file to download.
        track = re.search(
            r'<track kind="subtitles" src="data:text/vtt;base64,([^"]+)" srclang="vi" '
            r'label="Tiếng Việt" default>',
            page,
        )
        assert track, page
        vtt = base64.b64decode(track.group(1)).decode()
        assert vtt.startswith("WEBVTT\n\n00:00:00.500 --> 00:00:05.000")
        link = re.search(
            r'<a href="\.\./(files/[^"]+\.vtt)" download>Tải phụ đề \(Tiếng Việt, WebVTT\)</a>', page
        )
        assert link, page
        assert (site / link.group(1)).read_text() == vtt

    def test_search_index_is_a_static_script_with_accent_free_keys(
        self, library: Library, tmp_path: Path
    ) -> None:
        make(library, tmp_path / "p.zip")
        with zipfile.ZipFile(tmp_path / "p.zip") as zf:
            script = zf.read("assets/search-index.js").decode()
            search_page = zf.read("search.html").decode()
        assert script.startswith("window.HOCLIEU_INDEX = ")
        rows = json.loads(script[len("window.HOCLIEU_INDEX = ") :].rstrip().rstrip(";"))
        pdf = next(r for r in rows if r["u"] == f"m/{library.ids[PDF]}.html")
        assert pdf["t"] == "Phân số thập phân"
        assert pdf["ft"] == "phan so thap phan" == fold_key("Phân số thập phân")
        assert '<script src="assets/search-index.js"' in search_page
        assert "<script>" not in search_page  # no inline script

    def test_nothing_in_the_package_points_outside_it(self, library: Library, tmp_path: Path) -> None:
        make(library, tmp_path / "p.zip")
        site = unpack(tmp_path / "p.zip", tmp_path / "site")
        for page in [*site.rglob("*.html"), *site.glob("assets/*")]:
            text = page.read_text()
            for ref in re.findall(r'(?:src|href|poster|action)="([^"]*)"', text):
                if ref.startswith("data:text/vtt;base64,"):
                    continue  # captions written into the page (see package._inline)
                assert not re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|/)", ref), (page.name, ref)
                target = (page.parent / ref.split("?")[0].split("#")[0]).resolve()
                assert target.is_relative_to(site.resolve()), (page.name, ref)
                assert target.exists(), (page.name, ref)
            assert "url(" not in text or page.suffix != ".css"

    def test_same_content_gives_the_same_bytes(self, library: Library, tmp_path: Path) -> None:
        a = make(library, tmp_path / "a.zip")
        b = make(library, tmp_path / "b.zip")
        assert a.package_id == b.package_id
        assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()

    def test_uploaded_html_is_not_shipped_as_a_file(self, library: Library, tmp_path: Path) -> None:
        if WORKSHEET not in library.ids:
            library.add(WORKSHEET)
        p = make(library, tmp_path / "p.zip")
        assert not [path for path in p.entries if path.startswith("files/") and path.endswith(".html")]
        page = p.entries[f"m/{library.ids[WORKSHEET]}.html"].data or b""
        assert "phân số".encode() in page.lower()  # its text is on the page instead

    def test_selection_errors(self, library: Library, tmp_path: Path) -> None:
        with pytest.raises(ValidationFailed, match="unknown subject"):
            make(library, tmp_path / "x.zip", Selection(grade=5, subject="khong-co"))
        with pytest.raises(ValidationFailed, match="grade"):
            make(library, tmp_path / "x.zip", Selection(grade=13))
        with pytest.raises(NotFound, match="no approved materials"):
            make(library, tmp_path / "x.zip", Selection(grade=9, subject="toan"))
        assert not (tmp_path / "x.zip").exists()

    def test_lesson_selection_accent_free(self, library: Library, tmp_path: Path) -> None:
        p = make(
            library, tmp_path / "l.zip", Selection(grade=5, subject="toan", lesson="bai 4 phan so thap phan")
        )
        assert [m["id"] for m in p.manifest["materials"]] == [library.ids[PDF]]


class TestVerify:
    def test_fresh_package_verifies_as_zip_and_folder(self, library: Library, tmp_path: Path) -> None:
        p = make(library, tmp_path / "p.zip")
        report = verify_package(tmp_path / "p.zip")
        assert report.ok, report.problems
        assert report.package_id == p.package_id
        assert report.files == len(p.entries)
        assert report.materials == len(p.manifest["materials"])
        assert verify_package(unpack(tmp_path / "p.zip", tmp_path / "site")).ok

    def test_each_material_carries_its_signed_approval(self, library: Library, tmp_path: Path) -> None:
        p = make(library, tmp_path / "p.zip")
        for m in p.manifest["materials"]:
            assert m["approval"]["manifest"]["material_id"] == m["id"]
            assert m["approval"]["signature"]

    @pytest.mark.parametrize("victim", ["page", "media", "index"])
    def test_a_tampered_file_is_reported(self, library: Library, tmp_path: Path, victim: str) -> None:
        make(library, tmp_path / "p.zip")
        site = unpack(tmp_path / "p.zip", tmp_path / "site")
        target = {
            "page": site / f"m/{library.ids[PDF]}.html",
            "media": next(site.glob("files/*/*.mp4")),
            "index": site / "assets/search-index.js",
        }[victim]
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        report = verify_package(site)
        name = target.relative_to(site).as_posix()
        assert not report.ok
        assert report.problems == [f"{name}: altered (sha256 or size differs from the manifest)"]

    def test_missing_and_added_files_are_reported(self, library: Library, tmp_path: Path) -> None:
        make(library, tmp_path / "p.zip")
        site = unpack(tmp_path / "p.zip", tmp_path / "site")
        (site / "assets/site.css").unlink()
        (site / "m/evil.html").write_text("<script>alert(1)</script>")
        problems = verify_package(site).problems
        assert "assets/site.css: missing" in problems
        assert "m/evil.html: not part of the package (added after it was built)" in problems

    def test_an_edited_manifest_breaks_its_signature(self, library: Library, tmp_path: Path) -> None:
        make(library, tmp_path / "p.zip")
        site = unpack(tmp_path / "p.zip", tmp_path / "site")
        # Swap in a tampered page and re-hash it into the manifest: the signature catches it.
        page = site / f"m/{library.ids[PDF]}.html"
        page.write_text(page.read_text().replace("Phân số thập phân", "Sách lậu"))
        doc = json.loads((site / MANIFEST_NAME).read_text())

        rel = page.relative_to(site).as_posix()
        doc["manifest"]["files"][rel] = {
            "sha256": hashlib.sha256(page.read_bytes()).hexdigest(),
            "size": page.stat().st_size,
        }
        (site / MANIFEST_NAME).write_text(json.dumps(doc, ensure_ascii=False))
        assert verify_package(site).problems == ["the manifest's signature does not match (manifest altered)"]

    def test_changed_metadata_breaks_the_approval(self, library: Library, tmp_path: Path) -> None:
        make(library, tmp_path / "p.zip")
        site = unpack(tmp_path / "p.zip", tmp_path / "site")
        doc = json.loads((site / MANIFEST_NAME).read_text())
        doc["manifest"]["materials"][0]["metadata"]["title"] = "Khác"
        (site / MANIFEST_NAME).write_text(json.dumps(doc, ensure_ascii=False))
        problems = verify_package(site).problems
        assert "the manifest's signature does not match (manifest altered)" in problems
        assert any("differs from the approved metadata" in p for p in problems)

    def test_trusted_keys_pin_the_signer(self, library: Library, tmp_path: Path) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from repository.signing import KeyInfo

        make(library, tmp_path / "p.zip")
        signer = signer_for(library.settings)
        published = {k.key_id: k.public_key_b64 for k in signer.ring}
        assert verify_package(tmp_path / "p.zip", trusted_keys=published).ok
        other = KeyInfo.of(Ed25519PrivateKey.generate().public_key(), valid_from=None)
        report = verify_package(tmp_path / "p.zip", trusted_keys={other.key_id: other.public_key_b64})
        assert (
            f"key {signer.key_id} in the package is not one of the trusted published keys" in report.problems
        )
        assert f"the package is signed with key {signer.key_id}, which is not known" in report.problems

    def test_not_a_package(self, tmp_path: Path) -> None:
        junk = tmp_path / "junk.zip"
        junk.write_bytes(b"PK\x03\x04 not really")
        assert not verify_package(junk).ok
        folder = tmp_path / "empty"
        folder.mkdir()
        assert verify_package(folder).problems == [f"no {MANIFEST_NAME}: not a Hoclieu offline package"]


class TestUpdate:
    def test_update_applied_on_an_old_package_gives_the_fresh_tree(
        self, library: Library, tmp_path: Path
    ) -> None:
        rt = library.runtime
        added = library.ids.get(WORKSHEET) or library.add(WORKSHEET)
        _takedown(library, WORKSHEET)
        make(library, tmp_path / "old.zip")
        old_site = unpack(tmp_path / "old.zip", tmp_path / "usb")
        old_doc = read_document(tmp_path / "old.zip")
        # Since then: one more approved material, and one taken down.
        _republish(library, WORKSHEET)
        _takedown(library, DECK)
        try:
            fresh = make(library, tmp_path / "new.zip")
            with rt.db.read() as session:
                upd, changed, deleted = build_update(
                    session,
                    rt.blobs,
                    signer_for(rt.settings),
                    old_doc,
                    tmp_path / "update.zip",
                    source="https://hoclieu.test",
                )
            assert upd.package_id == fresh.package_id
            assert f"m/{added}.html" in changed
            assert f"m/{library.ids[DECK]}.html" in deleted
            # Only what changed travels: the video is in the old package already.
            with zipfile.ZipFile(tmp_path / "update.zip") as zf:
                names = set(zf.namelist())
            assert not [n for n in names if n.endswith(".mp4")]
            assert (tmp_path / "update.zip").stat().st_size < (tmp_path / "new.zip").stat().st_size / 2
            # Applied in place on the old folder: exactly the fresh package's tree.
            report = apply_update(old_site, tmp_path / "update.zip")
            assert report.ok, report.problems
            new_site = unpack(tmp_path / "new.zip", tmp_path / "fresh")
            assert list(tree_digest(old_site)) == list(tree_digest(new_site))
            # Applying it again changes nothing; it does not apply to another package.
            assert apply_update(old_site, tmp_path / "update.zip").ok
            other = unpack(tmp_path / "new.zip", tmp_path / "other")
            (other / MANIFEST_NAME).write_text(
                json.dumps(old_doc | {"manifest": old_doc["manifest"] | {"source": "x"}})
            )
            with pytest.raises(PackageError, match="made for another package"):
                apply_update(other, tmp_path / "update.zip")
        finally:
            _republish(library, DECK)

    def test_an_update_signed_by_another_key_is_refused(self, library: Library, tmp_path: Path) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from repository.offline.package import _document
        from repository.signing import KeyInfo, Signer

        make(library, tmp_path / "old.zip")
        site = unpack(tmp_path / "old.zip", tmp_path / "usb")
        old = read_document(tmp_path / "old.zip")
        before = list(tree_digest(site))
        # Somebody else's key signs a manifest that swaps a page: well-formed, validly self-signed.
        key = Ed25519PrivateKey.generate()
        mallory = Signer(
            private_key=key, path=tmp_path / "k.pem", ring=(KeyInfo.of(key.public_key(), valid_from=None),)
        )
        page = f"m/{library.ids[PDF]}.html"
        evil_page = b"<h1>Tai lieu gia</h1>"
        manifest = json.loads(json.dumps(old["manifest"]))
        manifest["files"][page] = {"sha256": hashlib.sha256(evil_page).hexdigest(), "size": len(evil_page)}
        theirs = [KeyInfo(k["key_id"], k["public_key"], None) for k in old["keys"]]
        doc = _document(manifest, mallory, [*mallory.ring, *theirs])
        with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
            zf.writestr(MANIFEST_NAME, doc)
            zf.writestr(
                "hoclieu-update.json",
                json.dumps(
                    {
                        "type": "hoclieu.offline-update",
                        "base": hashlib.sha256(canonical_json(old["manifest"])).hexdigest(),
                        "target": hashlib.sha256(canonical_json(manifest)).hexdigest(),
                        "delete": [],
                    }
                ),
            )
            zf.writestr(page, evil_page)
        with pytest.raises(PackageError, match="which this package does not know"):
            apply_update(site, tmp_path / "evil.zip")
        assert list(tree_digest(site)) == before
        # Whoever passes a key with --keys (as after a rotation) decides to trust it.
        info = mallory.ring[0]
        assert apply_update(site, tmp_path / "evil.zip", trusted_keys={info.key_id: info.public_key_b64}).ok
        assert (site / page).read_bytes() == evil_page

    def test_a_damaged_update_is_refused_before_anything_changes(
        self, library: Library, tmp_path: Path
    ) -> None:
        make(library, tmp_path / "old.zip")
        site = unpack(tmp_path / "old.zip", tmp_path / "usb")
        doc = read_document(tmp_path / "old.zip")
        # An update that smuggles in a file the new manifest does not list.
        with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
            zf.writestr(
                "hoclieu-package.json", json.dumps(doc | {"manifest": doc["manifest"] | {"built_at": "z"}})
            )
            zf.writestr(
                "hoclieu-update.json",
                json.dumps(
                    {"type": "hoclieu.offline-update", "base": "0" * 64, "target": "1" * 64, "delete": []}
                ),
            )
            zf.writestr("../outside.html", "x")
        before = list(tree_digest(site))
        with pytest.raises(PackageError):
            apply_update(site, tmp_path / "evil.zip")
        assert list(tree_digest(site)) == before
        assert not (tmp_path / "outside.html").exists()


def _takedown(library: Library, name: str) -> None:
    from repository.curation.workflow import workflow
    from repository.uow import UnitOfWork
    from repository.user.service import user as user_service

    with UnitOfWork(library.runtime.db) as uow:
        system = user_service.system_user(uow.session)
        workflow.takedown(uow.session, system, library.ids[name], reason="sai đáp án")


def _republish(library: Library, name: str) -> None:
    """Put a taken-down material back (approved and signed again) for the other tests."""
    from repository.curation.decisions import reviews
    from repository.curation.workflow import workflow
    from repository.models import Material, WorkflowState
    from repository.uow import UnitOfWork
    from repository.user.service import user as user_service

    rt = library.runtime
    with UnitOfWork(rt.db) as uow:
        m = uow.session.get(Material, library.ids[name])
        if m is None or m.state == WorkflowState.approved:
            return
        system = user_service.system_user(uow.session)
        workflow.submit(uow.session, system, m.id)
    with UnitOfWork(rt.db) as uow:
        system = user_service.system_user(uow.session)
        reviews.publish_direct(
            uow.session, system, library.ids[name], signer=signer_for(rt.settings), note="test"
        )


class TestCli:
    def test_package_verify_update_apply(
        self, library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from web.cli import main

        monkeypatch.setattr("web.cli.offline.open_runtime", lambda: library.runtime)
        runner = CliRunner()
        out = tmp_path / "toan5.zip"
        r = runner.invoke(main, ["package", "--grade", "5", "--subject", "toan", str(out)])
        assert r.exit_code == 0, r.output
        assert re.fullmatch(r"[0-9a-f]{64}\n", r.stdout)
        r = runner.invoke(main, ["verify-package", str(out), "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["ok"] is True
        site = unpack(out, tmp_path / "site")
        (site / "index.html").write_text("hacked")
        r = runner.invoke(main, ["verify-package", str(site)])
        assert r.exit_code == 1
        assert "index.html: altered" in r.stdout
        r = runner.invoke(main, ["package", "--since", str(out), str(tmp_path / "u.zip")])
        assert r.exit_code == 0, r.output
        r = runner.invoke(
            main, ["apply-update", str(unpack(out, tmp_path / "site2")), str(tmp_path / "u.zip")]
        )
        assert r.exit_code == 0, r.output
        r = runner.invoke(main, ["package", str(tmp_path / "x.zip")])
        assert r.exit_code == 2
        assert "--grade is required" in r.output
        r = runner.invoke(main, ["package", "--grade", "5", "--subject", "nope", str(tmp_path / "x.zip")])
        assert r.exit_code == 1
        assert "unknown subject" in r.output


class TestApi:
    @pytest.fixture
    def client(self, library: Library) -> Any:
        from web.app import create_app

        app = create_app(library.settings, runtime=library.runtime, run_worker=False)
        with TestClient(app) as c:
            yield c

    def test_download_a_package_then_an_update(self, client: TestClient, tmp_path: Path) -> None:
        r = client.get("/api/v1/packages/offline.zip", params={"grade": 5, "subject": "toan"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        assert 'filename="hoclieu-goi-lop-5-toan.zip"' in r.headers["content-disposition"]
        (tmp_path / "p.zip").write_bytes(r.content)
        report = verify_package(tmp_path / "p.zip")
        assert report.ok, report.problems
        again = client.get("/api/v1/packages/offline.zip", params={"grade": 5, "subject": "toan"})
        assert again.headers["etag"] == r.headers["etag"] == f'"{report.package_id}"'
        doc = read_document(tmp_path / "p.zip")
        u = client.post("/api/v1/packages/update.zip", json=doc)
        assert u.status_code == 200, u.text
        (tmp_path / "u.zip").write_bytes(u.content)
        with zipfile.ZipFile(tmp_path / "u.zip") as zf:
            assert sorted(zf.namelist()) == ["hoclieu-package.json", "hoclieu-update.json"]  # nothing changed

    @pytest.mark.parametrize(
        ("params", "status"),
        [
            ({"grade": 5, "subject": "khong-co"}, 422),
            ({"grade": 13}, 422),
            ({"grade": "năm"}, 422),
            ({"grade": 9, "subject": "toan"}, 404),
            ({"grade": 5, "lesson": "x" * 400}, 422),
        ],
    )
    def test_bad_selections_are_4xx(self, client: TestClient, params: dict[str, Any], status: int) -> None:
        r = client.get("/api/v1/packages/offline.zip", params=params)
        assert r.status_code == status, r.text

    @pytest.mark.parametrize(
        "body", [{}, {"manifest": {"type": "other"}}, {"manifest": {"type": "hoclieu.offline-package"}}]
    )
    def test_update_from_a_non_package_is_422(self, client: TestClient, body: dict[str, Any]) -> None:
        r = client.post("/api/v1/packages/update.zip", json=body)
        assert r.status_code == 422, r.text


class TestSite:
    def test_minimal_metadata_renders(self) -> None:
        from repository.models import Material
        from repository.offline.site import FileView, Site

        pages = Site(Selection(grade=5, subject="toan"))
        m = Material(id="m1", title="Chỉ có tên", version=1, meta={"title": "Chỉ có tên", "grades": [5]})
        pages.add_material(
            m, [FileView(filename="a.bin", media_type="application/octet-stream", status="ready")], None
        )
        out = dict(pages.render())
        assert "Chỉ có tên" in out["m/m1.html"].decode()
        assert "Tài liệu khác" in out["lop-5/toan/index.html"].decode()  # no lesson: grouped apart
