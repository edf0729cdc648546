from __future__ import annotations

import pytest
from sqlalchemy import select

from repository.curation.decisions import reviews
from repository.curation.schemas import Decision
from repository.curation.signing import signatures
from repository.curation.version_files import version_files
from repository.curation.versions import version_history
from repository.curation.workflow import workflow
from repository.errors import Conflict, MetadataInvalid, PermissionDenied, ValidationFailed
from repository.material.service import material as material_service
from repository.models import AuditEvent, IngestStatus, Job, Role, WorkflowState
from repository.signing import signer_for
from tests.factories import create_material
from tests.repository.curation.helpers import MATH_5, RUBRIC_OK, finish_ingest, person


@pytest.fixture
def cast(session, runtime):  # type: ignore[no-untyped-def]
    """A teacher with a grade-5 maths draft, curators in and out of scope, an admin."""
    teacher = person(session, "co_lan", Role.teacher)
    in_scope = person(session, "thay_toan", Role.curator, {"subjects": ["toan"], "grades": [4, 5]})
    out_scope = person(session, "co_van", Role.curator, {"subjects": ["ngu-van"]})
    admin = person(session, "quan_tri", Role.admin)
    m = create_material(session, runtime, teacher, title="Phân số lớp 5", metadata=MATH_5)
    finish_ingest(session, m)
    return {
        "teacher": teacher,
        "in": in_scope,
        "out": out_scope,
        "admin": admin,
        "m": m,
        "signer": signer_for(runtime.settings),
    }


def _approve(session, c, actor=None):  # type: ignore[no-untyped-def]
    return reviews.decide(
        session,
        actor or c["in"],
        c["m"].id,
        decision=Decision.approve,
        comment=None,
        rubric=RUBRIC_OK,
        signer=c["signer"],
    )


class TestSubmit:
    def test_owner_submits_a_ready_draft(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        v = workflow.submit(session, cast["teacher"], cast["m"].id)
        assert v.state == WorkflowState.submitted
        assert v.number == 1
        assert cast["m"].state == WorkflowState.submitted
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "material.submitted" in actions
        assert session.scalar(select(Job).where(Job.key == f"index:material:{cast['m'].id}")) is not None

    def test_unfinished_ingest_blocks_submission(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        finish_ingest(session, cast["m"], IngestStatus.processing)
        with pytest.raises(Conflict, match="ingest is not finished"):
            workflow.submit(session, cast["teacher"], cast["m"].id)

    def test_failed_files_need_an_explicit_reason(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        finish_ingest(session, cast["m"], IngestStatus.failed)
        with pytest.raises(Conflict, match="accept_failed"):
            workflow.submit(session, cast["teacher"], cast["m"].id)
        with pytest.raises(ValidationFailed, match="reason"):
            workflow.submit(session, cast["teacher"], cast["m"].id, accept_failed=True)
        v = workflow.submit(session, cast["teacher"], cast["m"].id, accept_failed=True, reason="bản quét cũ")
        assert v.accept_failed_reason == "bản quét cũ"

    def test_someone_else_cannot_submit(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        from repository.errors import NotFound

        with pytest.raises(NotFound):  # a draft does not exist for anyone but its owner
            workflow.submit(session, cast["in"], cast["m"].id)
        workflow.submit(session, cast["teacher"], cast["m"].id)
        _approve(session, cast)
        with pytest.raises(PermissionDenied, match="owner"):  # public now, still not theirs
            workflow.submit(session, cast["in"], cast["m"].id)

    def test_submitting_twice_is_a_conflict(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        workflow.submit(session, cast["teacher"], cast["m"].id)
        with pytest.raises(Conflict, match="is submitted"):
            workflow.submit(session, cast["teacher"], cast["m"].id)


class TestDecide:
    def test_approving_a_draft_is_a_conflict(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(Conflict, match="not submitted"):  # an admin sees drafts; a curator gets 404
            _approve(session, cast, cast["admin"])

    def test_curator_in_scope_approves_and_signs(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        workflow.submit(session, cast["teacher"], cast["m"].id)
        v = _approve(session, cast)
        assert v.state == WorkflowState.approved
        assert cast["m"].state == WorkflowState.approved
        assert v.manifest is not None
        assert v.manifest["files"][0]["sha256"] == cast["m"].files[0].sha256
        assert cast["signer"].verify(v.manifest, v.signature)
        report = signatures.verify(session, cast["m"].id, signer=cast["signer"], blobs=None)
        assert report.ok, report.problems

    def test_out_of_scope_curator_cannot_see_or_decide(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        from repository.errors import NotFound

        workflow.submit(session, cast["teacher"], cast["m"].id)
        with pytest.raises(NotFound):
            _approve(session, cast, cast["out"])

    def test_nobody_reviews_their_own_submission(self, session, runtime, cast) -> None:  # type: ignore[no-untyped-def]
        own = create_material(
            session, runtime, cast["in"], title="Bài của giám khảo", metadata=MATH_5, content=b"%PDF-1.4 own"
        )
        finish_ingest(session, own)
        workflow.submit(session, cast["in"], own.id)
        with pytest.raises(PermissionDenied, match="own submission"):
            reviews.decide(
                session,
                cast["in"],
                own.id,
                decision=Decision.approve,
                comment=None,
                rubric=RUBRIC_OK,
                signer=cast["signer"],
            )

    def test_failed_required_rubric_item_blocks_approval(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        workflow.submit(session, cast["teacher"], cast["m"].id)
        with pytest.raises(Conflict, match="Licence clear"):
            reviews.decide(
                session,
                cast["in"],
                cast["m"].id,
                decision=Decision.approve,
                comment=None,
                rubric=RUBRIC_OK | {"license_clear": False},
                signer=cast["signer"],
            )
        with pytest.raises(ValidationFailed, match="tick every required"):
            reviews.decide(
                session,
                cast["in"],
                cast["m"].id,
                decision=Decision.approve,
                comment=None,
                rubric={},
                signer=cast["signer"],
            )
        with pytest.raises(ValidationFailed, match="unknown rubric"):
            reviews.decide(
                session,
                cast["in"],
                cast["m"].id,
                decision=Decision.approve,
                comment=None,
                rubric=RUBRIC_OK | {"mau_sac": True},
                signer=cast["signer"],
            )
        # The advisory item may fail without blocking.
        v = reviews.decide(
            session,
            cast["in"],
            cast["m"].id,
            decision=Decision.approve,
            comment=None,
            rubric=RUBRIC_OK | {"quality_accessibility": False},
            signer=cast["signer"],
        )
        assert v.state == WorkflowState.approved

    def test_request_changes_needs_a_comment_then_owner_resubmits(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        workflow.submit(session, cast["teacher"], cast["m"].id)
        with pytest.raises(ValidationFailed, match="comment"):
            reviews.decide(
                session,
                cast["in"],
                cast["m"].id,
                decision=Decision.request_changes,
                comment=" ",
                rubric={},
                signer=cast["signer"],
            )
        reviews.decide(
            session,
            cast["in"],
            cast["m"].id,
            decision=Decision.request_changes,
            comment="Thiếu đáp án",
            rubric={},
            signer=cast["signer"],
        )
        assert cast["m"].state == WorkflowState.changes_requested
        v = workflow.edit(session, cast["teacher"], cast["m"].id, changes={"description": "Có đáp án"})
        assert v.number == 1
        assert v.meta["description"] == "Có đáp án"
        assert workflow.submit(session, cast["teacher"], cast["m"].id).state == WorkflowState.submitted
        thread = reviews.comments(session, cast["teacher"], cast["m"].id)
        assert [c.kind for c in thread] == ["request_changes"]

    def test_claimed_by_another_curator_is_a_conflict(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        other = person(session, "thay_toan_2", Role.curator, {"grades": [5]})
        workflow.submit(session, cast["teacher"], cast["m"].id)
        reviews.claim(session, cast["in"], cast["m"].id)
        with pytest.raises(Conflict, match="claimed"):
            reviews.claim(session, other, cast["m"].id)
        with pytest.raises(Conflict, match="claimed"):
            _approve(session, cast, other)
        assert _approve(session, cast).decided_by_id == cast["in"].id

    def test_bulk_decisions_report_each_item(self, session, runtime, cast) -> None:  # type: ignore[no-untyped-def]
        second = create_material(
            session,
            runtime,
            cast["teacher"],
            title="Số thập phân",
            metadata=MATH_5,
            content=b"%PDF-1.4 second",
        )
        finish_ingest(session, second)
        workflow.submit(session, cast["teacher"], cast["m"].id)
        workflow.submit(session, cast["teacher"], second.id)
        draft = create_material(
            session, runtime, cast["teacher"], title="Nháp", metadata=MATH_5, content=b"%PDF-1.4 draft"
        )
        results = reviews.bulk_decide(
            session,
            cast["admin"],
            [cast["m"].id, second.id, draft.id],
            decision=Decision.reject,
            comment="Trùng lặp",
            rubric={},
            signer=cast["signer"],
        )
        outcome = {mid: getattr(r, "state", None) or r.status_code for mid, r in results}  # type: ignore[union-attr]
        assert outcome == {cast["m"].id: "rejected", second.id: "rejected", draft.id: 409}
        refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "curation.refused")).all()
        assert [e.subject_id for e in refused] == [draft.id]


class TestVersions:
    def test_editing_an_approved_material_keeps_it_public_until_the_new_version_is_approved(
        self, session, cast
    ) -> None:  # type: ignore[no-untyped-def]
        m = cast["m"]
        workflow.submit(session, cast["teacher"], m.id)
        _approve(session, cast)
        v2 = workflow.edit(session, cast["teacher"], m.id, changes={"title": "Phân số (bản sửa)"})
        assert v2.number == 2
        assert v2.state == WorkflowState.draft
        assert m.state == WorkflowState.approved
        assert m.title == "Phân số lớp 5"
        assert m.version == 1
        # Anonymous readers still get version 1 and cannot open version 2.
        _, readable = version_history.history(session, None, m.id)
        assert [v.number for v, _ in readable] == [1]
        _, own_view = version_history.history(session, cast["teacher"], m.id)
        assert [v.number for v, _ in own_view] == [1, 2]
        workflow.submit(session, cast["teacher"], m.id)
        _approve(session, cast)
        assert m.version == 2
        assert m.title == "Phân số (bản sửa)"
        _, readable = version_history.history(session, None, m.id)
        assert [(v.number, v.state) for v, _ in readable] == [(1, "approved"), (2, "approved")]
        assert signatures.signature(session, None, m.id, number=1).version == 1
        assert signatures.verify(session, m.id, signer=cast["signer"], blobs=None).ok

    def test_editing_under_review_is_a_conflict_and_invalid_metadata_is_422(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(MetadataInvalid):
            workflow.edit(session, cast["teacher"], cast["m"].id, changes={"grades": [13]})
        workflow.submit(session, cast["teacher"], cast["m"].id)
        with pytest.raises(Conflict, match="withdraw"):
            workflow.edit(session, cast["teacher"], cast["m"].id, changes={"title": "x"})
        workflow.withdraw(session, cast["teacher"], cast["m"].id)
        assert cast["m"].state == WorkflowState.withdrawn
        assert workflow.edit(session, cast["teacher"], cast["m"].id, changes={"title": "Mới"}).title == "Mới"


class TestVisibility:
    def test_scope_decides_what_curators_see(self, session, cast) -> None:  # type: ignore[no-untyped-def]
        m = cast["m"]
        # A draft is the owner's alone.
        for who in ("in", "out"):
            assert material_service.list(session, cast[who], page=1, size=50)[1] == 0
        workflow.submit(session, cast["teacher"], m.id)
        assert material_service.get(session, cast["in"], m.id).id == m.id
        assert material_service.list(session, cast["out"], page=1, size=50)[1] == 0
        assert material_service.list(session, cast["admin"], page=1, size=50)[1] == 1
        assert material_service.list(session, None, page=1, size=50)[1] == 0
        _approve(session, cast)
        assert material_service.list(session, None, page=1, size=50)[1] == 1
        assert material_service.list(session, cast["out"], page=1, size=50)[1] == 1


class TestVersionFiles:
    def test_new_files_are_visible_to_the_privileged_only_until_their_version_is_approved(
        self, session, runtime, cast
    ) -> None:  # type: ignore[no-untyped-def]
        from repository.material.service import NewFile

        m = cast["m"]
        workflow.submit(session, cast["teacher"], m.id)
        _approve(session, cast)
        first = set(version_history.versions_of(session, m)[-1].file_ids)
        staged = runtime.blobs.stage()
        staged.write("Đáp án bài 2".encode())
        new = NewFile(filename="dap-an.txt", blob=staged.commit(), media_type="text/plain")
        v2 = version_files.add_files(session, cast["teacher"], m.id, files=[new])
        added = set(v2.file_ids) - first
        assert v2.number == 2
        assert len(added) == 1
        assert material_service.visible_file_ids(session, None, m) == first
        assert material_service.visible_file_ids(session, cast["out"], m) == first
        for privileged in ("teacher", "in", "admin"):
            assert material_service.visible_file_ids(session, cast[privileged], m) == first | added
        jobs = session.scalars(select(Job.key).where(Job.key == f"ingest:file:{next(iter(added))}")).all()
        assert len(jobs) == 1
        finish_ingest(session, m)
        workflow.submit(session, cast["teacher"], m.id)
        v = _approve(session, cast)
        assert [f["id"] for f in v.manifest["files"]] == v2.file_ids
        assert material_service.visible_file_ids(session, None, m) == first | added
