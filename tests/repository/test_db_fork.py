"""A forked child (RQ's work horse) never uses its parent's pooled database connections."""

from __future__ import annotations

import os

from sqlalchemy import text


def test_a_forked_child_gets_its_own_connection_and_the_parent_keeps_its_own(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        parent_connection = id(conn.connection.dbapi_connection)
    # The connection is back in the pool: without care, the child would check out the same one.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                same = id(conn.connection.dbapi_connection) == parent_connection
            os.write(w, b"shared" if same else b"own")
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    assert os.read(r, 16) == b"own"
    os.close(r)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert id(conn.connection.dbapi_connection) == parent_connection
