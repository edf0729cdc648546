"""What an ingest records, through the repository service ingest calls (real database, real blobs)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from repository.curation.versions import title_from_document
from repository.material.ingest_results import IngestResult, NewDerivative, ingest_results
from repository.metadata import metadata_title_from_filename
from repository.models import AuditEvent, Derivative, Material, MaterialFile, MaterialVersion, Role, User
from repository.uow import UnitOfWork
from tests.factories import create_material, create_user, read_file

FILENAME = "bai-giang-phan-so.pdf"
DOC_TITLE = "Phân số và số thập phân"


def _material(runtime: Any, *, title: str | None = None) -> tuple[str, str]:
    with UnitOfWork(runtime.db) as uow:
        owner = create_user(uow.session, username="co_lan", role=Role.teacher)
        m = create_material(
            uow.session,
            runtime,
            owner,
            title=title or metadata_title_from_filename(FILENAME),
            filename=FILENAME,
        )
        return m.id, m.files[0].id


def _derivative(runtime: Any, kind: str, content: bytes, **kwargs: Any) -> NewDerivative:
    staged = runtime.blobs.stage()
    staged.write(content)
    return NewDerivative(kind=kind, blob=staged.commit(), media_type="image/webp", **kwargs)


def _finish(runtime: Any, file_id: str, result: IngestResult) -> None:
    with UnitOfWork(runtime.db) as uow:
        assert ingest_results.begin(uow.session, file_id, force=True) is not None
    with UnitOfWork(runtime.db) as uow:
        ingest_results.finish(uow.session, file_id, result)
        # As the pipeline does, in the same unit of work: the document's title is a version edit.
        title_from_document(uow.session, file_id, FILENAME, result.info.get("title"))


class TestDocumentTitle:
    def test_replaces_a_filename_title_as_an_edit_of_the_working_version(self, runtime: Any) -> None:
        material_id, file_id = _material(runtime)
        _finish(runtime, file_id, IngestResult(media_type="application/pdf", info={"title": DOC_TITLE}))
        with runtime.db.read() as s:
            m = s.get(Material, material_id)
            assert m is not None
            assert (m.title, m.meta["title"]) == (DOC_TITLE, DOC_TITLE)
            versions = list(
                s.scalars(select(MaterialVersion).where(MaterialVersion.material_id == material_id))
            )
            assert [(v.number, v.title, v.meta["title"]) for v in versions] == [(1, DOC_TITLE, DOC_TITLE)]
            assert versions[0].file_ids == [file_id]
            (event,) = s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "material.edited", AuditEvent.subject_id == material_id
                )
            )
            actor = s.get(User, event.actor_id)
            assert actor is not None and actor.username == "hoclieu"  # the system account
            assert event.data == {"version": 1, "fields": ["title"], "source": "ingest", "file_id": file_id}

    def test_a_hostile_title_the_database_cannot_hold_is_not_taken(self, runtime: Any) -> None:
        """A package's ``<title>`` is the teacher's to write: a NUL byte in it (PostgreSQL refuses
        NUL in text and JSON) leaves the material's title as it was, and the file still finishes
        ``ready`` with what was read kept without the NUL."""
        material_id, file_id = _material(runtime)
        hostile = "Bài\x00 học"
        _finish(runtime, file_id, IngestResult(media_type="application/pdf", info={"title": hostile}))
        with runtime.db.read() as s:
            m = s.get(Material, material_id)
            assert m is not None and m.title == metadata_title_from_filename(FILENAME)
            assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "material.edited")) is None
        f = read_file(runtime, file_id)
        assert f.status == "ready" and f.info["title"] == "Bài học"  # kept, without the NUL

    def test_a_title_the_owner_chose_is_kept(self, runtime: Any) -> None:
        material_id, file_id = _material(runtime, title="Bài giảng của cô Lan")
        _finish(runtime, file_id, IngestResult(media_type="application/pdf", info={"title": DOC_TITLE}))
        with runtime.db.read() as s:
            m = s.get(Material, material_id)
            assert m is not None and m.title == "Bài giảng của cô Lan"
            assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "material.edited")) is None

    def test_a_submitted_version_is_never_changed(self, runtime: Any) -> None:
        from repository.curation.workflow import workflow

        material_id, file_id = _material(runtime)
        with UnitOfWork(runtime.db) as uow:
            f = uow.session.get(MaterialFile, file_id)
            assert f is not None
            f.status = "ready"  # submitting wants ready files
        with UnitOfWork(runtime.db) as uow:
            lan = uow.session.scalar(select(User).where(User.username == "co_lan"))
            assert lan is not None
            workflow.submit(uow.session, lan, material_id)
        _finish(runtime, file_id, IngestResult(media_type="application/pdf", info={"title": DOC_TITLE}))
        with runtime.db.read() as s:
            m = s.get(Material, material_id)
            assert m is not None and m.title == metadata_title_from_filename(FILENAME)
            titles = set(
                s.scalars(select(MaterialVersion.title).where(MaterialVersion.material_id == material_id))
            )
            assert titles == {metadata_title_from_filename(FILENAME)}


class TestResults:
    def test_a_rerun_replaces_what_ingest_made_and_keeps_captions(self, runtime: Any) -> None:
        _material_id, file_id = _material(runtime)
        with UnitOfWork(runtime.db) as uow:
            caption = _derivative(runtime, "caption", b"WEBVTT\n", label="vi").row()
            caption.file_id = file_id
            uow.session.add(caption)
        first = [_derivative(runtime, "thumbnail", b"a", label="small")]
        _finish(
            runtime,
            file_id,
            IngestResult(media_type="application/pdf", derivatives=first, pages_pending=True),
        )
        second = [
            _derivative(runtime, "thumbnail", b"b", label="small"),
            _derivative(runtime, "poster", b"c"),
        ]
        _finish(runtime, file_id, IngestResult(media_type="application/pdf", derivatives=second))
        f = read_file(runtime, file_id)
        assert f.status == "ready" and f.progress == 1.0
        assert sorted((d.kind, d.sha256) for d in f.derivatives) == sorted(
            [("caption", caption.sha256)] + [(d.kind, d.blob.sha256) for d in second]
        )

    def test_page_previews_replace_only_their_kinds(self, runtime: Any) -> None:
        _material_id, file_id = _material(runtime)
        made = [_derivative(runtime, "thumbnail", b"a", label="small"), _derivative(runtime, "poster", b"p")]
        _finish(
            runtime, file_id, IngestResult(media_type="application/pdf", derivatives=made, pages_pending=True)
        )
        assert read_file(runtime, file_id).info["pages"] == "pending"
        with runtime.db.read() as s:
            assert ingest_results.pages_source(s, file_id) is not None
        pages = [
            _derivative(runtime, "thumbnail", b"b", label="small"),
            _derivative(runtime, "preview", b"1", page=1),
        ]
        with UnitOfWork(runtime.db) as uow:
            ingest_results.record_pages(uow.session, file_id, "ready", pages)
        f = read_file(runtime, file_id)
        assert f.info["pages"] == "ready"
        assert sorted((d.kind, d.sha256) for d in f.derivatives) == sorted(
            [("poster", made[1].blob.sha256)] + [(d.kind, d.blob.sha256) for d in pages]
        )
        with runtime.db.read() as s:
            assert s.scalar(select(Derivative.id).where(Derivative.kind == "preview", Derivative.page == 1))


class TestRunState:
    def test_begin_counts_attempts_and_leaves_finished_files_alone(self, runtime: Any) -> None:
        _material_id, file_id = _material(runtime)
        with UnitOfWork(runtime.db) as uow:
            job = ingest_results.begin(uow.session, file_id)
            assert job is not None and job.attempts == 1 and job.filename == FILENAME
        with UnitOfWork(runtime.db) as uow:
            ingest_results.progress(uow.session, file_id, 1.7)
        assert read_file(runtime, file_id).progress == 1.0
        with UnitOfWork(runtime.db) as uow:
            ingest_results.fail(uow.session, file_id, "PDF is truncated or corrupt", retry=True)
        f = read_file(runtime, file_id)
        assert (f.status, f.error, f.info["last_error"]) == ("queued", None, "PDF is truncated or corrupt")
        with UnitOfWork(runtime.db) as uow:
            job = ingest_results.begin(uow.session, file_id)
            assert job is not None and job.attempts == 2
            ingest_results.fail(uow.session, file_id, "PDF is truncated or corrupt", retry=False)
        f = read_file(runtime, file_id)
        assert (f.status, f.error, f.info["failure"]) == ("failed", "PDF is truncated or corrupt", "damaged")
        with UnitOfWork(runtime.db) as uow:
            assert not ingest_results.unfinished(uow.session, file_id)
            assert ingest_results.begin(uow.session, file_id) is None
            assert ingest_results.begin(uow.session, file_id, force=True) is not None
