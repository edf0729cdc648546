"""Engine and session factories, and the declarative ``Base``.

SQLite (embedded mode) gets WAL, foreign keys and a busy timeout. Write transactions on SQLite
start with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing half-way
with "database is locked" when a reader upgrades (the usual SQLite deadlock); read sessions
stay deferred so readers never wait for writers (WAL).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control away from the sqlite3 module so "begin" below decides.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if conn.get_execution_options().get("hoclieu_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _fresh_pool_after_fork(engine: Engine) -> None:
    """A forked child (RQ's work horse) must never use the parent's pooled connections: both
    would talk over one socket (seen as "connection in transaction status INTRANS" and
    "unexpected result EMPTY_QUERY" when the worker's dispatcher thread and its horse collided).
    The child gets a new, empty pool and leaves the parent's connections alone (``close=False``,
    as SQLAlchemy's guide to pools and ``os.fork()`` advises)."""
    ref = weakref.ref(engine)

    def after_in_child() -> None:
        alive = ref()
        if alive is not None:
            alive.dispose(close=False)

    os.register_at_fork(after_in_child=after_in_child)


class Database:
    """Holds one engine and the two session factories (read, write)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            bind=self.engine.execution_options(hoclieu_write=True), expire_on_commit=False
        )
        _fresh_pool_after_fork(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def session(self, *, write: bool = True) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self.session(write=False)
        try:
            yield session
        finally:
            # close() ends the transaction without expiring loaded objects, so results stay usable.
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
