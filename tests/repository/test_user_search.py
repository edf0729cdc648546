"""Admins find accounts by part of a username or display name (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from repository.curation.accounts import accounts
from repository.errors import PermissionDenied
from repository.models import Role
from repository.uow import UnitOfWork
from tests.factories import create_user


def test_search_by_part_of_a_name_with_like_characters_taken_literally(runtime: Any) -> None:
    with UnitOfWork(runtime.db) as uow:
        admin = create_user(uow.session, username="quan_tri", role=Role.admin)
        for name in ("thay_minh", "co_lan", "thayminh2", "co.hoa"):
            create_user(uow.session, username=name)
        uow.session.flush()

        def names(query: str | None) -> list[str]:
            return [u.username for u in accounts.list_users(uow.session, admin, query=query)]

        assert names("THAY") == ["thay_minh", "thayminh2"]
        assert names("y_m") == ["thay_minh"]  # "_" is a character here, not a wildcard
        assert names("%") == []
        assert (
            names("  ") == names(None) == sorted(["quan_tri", "thay_minh", "co_lan", "thayminh2", "co.hoa"])
        )
        teacher = create_user(uow.session, username="co_mai")
        with pytest.raises(PermissionDenied):
            accounts.list_users(uow.session, teacher, query="thay")
