from __future__ import annotations

from sqlalchemy import update

from repository.audit.service import audit
from repository.models import AuditEvent
from repository.uow import UnitOfWork


class TestAuditChain:
    def test_chain_verifies_and_shows_tampering(self, db) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork(db) as uow:
            for i in range(3):
                audit.record(
                    uow.session,
                    actor=None,
                    action="material.created",
                    subject_id=f"m{i}",
                    data={"tiêu đề": "Phân số"},
                )
        with db.read() as s:
            assert audit.verify_chain(s) == []
        with db.session() as s, s.begin():
            s.execute(
                update(AuditEvent).where(AuditEvent.subject_id == "m1").values(action="material.deleted")
            )
        with db.read() as s:
            bad = audit.verify_chain(s)
        assert len(bad) == 1
