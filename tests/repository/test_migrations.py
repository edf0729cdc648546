"""The migrations build exactly the schema the models describe, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import repository.models  # noqa: F401  (registers every table)
from repository.db import Base


def test_migrated_schema_matches_the_models(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
