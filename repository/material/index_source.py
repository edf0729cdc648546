"""What the search projection reads from the database (search holds no SQL of its own).

``search.tasks`` builds each material's search document from :meth:`IndexSource.load` (a batch
with files, derivatives and organisation loaded in one round trip per relation) and finds stale
index entries with :meth:`IndexSource.last_changes` (each material's newest change, nothing
loaded). Which files a document may show is :meth:`MaterialService.restrict_files`'s rule.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from repository.material.store import MaterialStore
from repository.models import Material


class IndexSource:
    def ids(self, session: Session) -> list[str]:
        """Every material id, in id order."""
        return MaterialStore.from_session(session).ids()

    def load(self, session: Session, ids: Sequence[str]) -> list[Material]:
        """The materials with these ids (files and derivatives eager-loaded), in id order; ids
        of materials that no longer exist are left out."""
        return MaterialStore.from_session(session).for_index(ids)

    def last_changes(
        self, session: Session
    ) -> Iterator[tuple[str, datetime | None, datetime | None, datetime | None]]:
        """``(id, updated_at, newest file change, newest derivative)`` of every material, in id
        order: what a search document's revision is computed from."""
        return MaterialStore.from_session(session).last_changes()


index_source = IndexSource()
