"""The system account is created on first use, once, even when two processes first need it at
the same moment (two ingest workers each recording a document's title on a fresh deployment)."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import func, select

from repository.models import User
from repository.uow import UnitOfWork
from repository.user.service import SYSTEM_USERNAME
from repository.user.service import user as user_service


def test_two_transactions_creating_it_at_once_share_one_account(runtime: Any) -> None:
    inserted = threading.Event()
    ids: dict[str, str] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with UnitOfWork(runtime.db) as uow:
                ids["first"] = user_service.system_user(uow.session).id
                inserted.set()
                time.sleep(0.5)  # the second one reaches its insert while this one is uncommitted
        except BaseException as exc:
            errors.append(exc)
            inserted.set()

    def second() -> None:
        inserted.wait(10)
        try:
            with UnitOfWork(runtime.db) as uow:
                account = user_service.system_user(uow.session)
                uow.session.flush()  # and the transaction goes on after it
                ids["second"] = account.id
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert ids["first"] == ids["second"]
    with runtime.db.read() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.username == SYSTEM_USERNAME)) == 1
