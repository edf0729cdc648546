"""Unit of work: one transaction, plus side effects that run only after it commits.

    with UnitOfWork(db) as uow:
        material = material_service.create(uow.session, actor, ...)
        uow.on_commit(lambda: wake_worker())
    # committed here; on an exception everything rolls back and the side effects are dropped

Nobody below this boundary calls ``commit()`` (house style); stores ``flush()`` when they need ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

# Re-exported: the opaque handle the web layer receives and passes to services (it never queries).
from sqlalchemy.orm import Session as Session

from repository.db import Database

log = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(self, db: Database, *, write: bool = True) -> None:
        self.db = db
        self.session: Session = db.session(write=write)
        self._after_commit: list[Callable[[], None]] = []

    def on_commit(self, op: Callable[[], None]) -> None:
        self._after_commit.append(op)

    def __enter__(self) -> UnitOfWork:
        self.session.info["uow"] = self
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
                self._after_commit.clear()
        finally:
            self.session.close()
        for op in self._after_commit:
            try:
                op()
            except Exception:  # a post-commit op must never undo or hide the commit
                log.exception("uow.after_commit_failed")


def after_commit(session: Session, op: Callable[[], None]) -> None:
    """Register ``op`` on the session's unit of work, or run it at once when there is none."""
    uow = session.info.get("uow")
    if isinstance(uow, UnitOfWork):
        uow.on_commit(op)
    else:
        op()
