"""Migration 0011 keeps every existing material and account valid: a database at 0007 holding a
curator, a teacher and her material is upgraded, and everything reads and behaves as before (no
organisation, no organisation axis in the scope), on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from repository.db import Database
from repository.migrate import upgrade
from repository.models import Material, User
from repository.policy.scope import in_scope, in_scope_clause, is_unrestricted
from tests.conftest import skip_or_fail


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get("HOCLIEU_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'cu.db'}"
        return
    name = f"hoclieu_mig_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        skip_or_fail(f"PostgreSQL is not reachable: {exc}")
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_existing_materials_and_accounts_stay_valid(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        upgrade(db, "0007")
        with db.engine.begin() as conn:
            for uid, name, role, scope in (
                ("u-1", "co_lan", "teacher", "{}"),
                ("u-2", "thay_toan", "curator", '{"subjects": ["toan"], "grades": [5]}'),
            ):
                conn.execute(
                    text(
                        "INSERT INTO users (id, username, display_name, role, disabled, scope, created_at) "
                        "VALUES (:id, :u, :u, :r, false, :s, CURRENT_TIMESTAMP)"
                    ),
                    {"id": uid, "u": name, "r": role, "s": scope},
                )
            conn.execute(
                text(
                    "INSERT INTO materials (id, metadata, schema, title, state, owner_id, version,"
                    " view_count, created_at, updated_at) VALUES ('m-1', :meta, 'material-v1.0.0',"
                    " 'Phân số', 'submitted', 'u-1', 1, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"meta": '{"title": "Phân số", "subjects": ["toan"], "grades": [5]}'},
            )
        upgrade(db)
        with db.read() as s:
            material = s.scalar(select(Material).where(Material.id == "m-1"))
            curator = s.scalar(select(User).where(User.username == "thay_toan"))
            teacher = s.scalar(select(User).where(User.username == "co_lan"))
            assert material is not None
            assert curator is not None
            assert teacher is not None
            assert material.organisation_id is None
            assert material.title == "Phân số"
            assert curator.scope == {"subjects": ["toan"], "grades": [5]}
            assert is_unrestricted(teacher)
            # The curator still reviews the material, by the Python rule and by the SQL rule alike.
            assert in_scope(curator, material.meta, material.organisation_id)
            found = s.scalars(
                select(Material.id).where(in_scope_clause(curator, Material.meta, Material.organisation_id))
            ).all()
            assert found == ["m-1"]
    finally:
        db.dispose()
