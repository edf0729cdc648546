"""The *index revision* of a material: how ``search-check`` tells a stale index entry.

The index revision is the newest of the material's ``updated_at``, its files' ``updated_at`` and
its derivatives' ``created_at``, in microseconds. It changes on every change that affects the
search document, including workflow transitions (approve, withdraw) that do not bump
``Material.version`` and extracted text arriving from ingest, so an index entry whose revision
differs from the database's is stale. The database side is read through
:mod:`repository.material.index_source`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from repository.material.index_source import index_source
from repository.models import Material
from repository.uow import Session


def micros(value: datetime | None) -> int:
    """A timestamp as integer microseconds since the epoch (naive values are UTC)."""
    if value is None:
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    # Integer arithmetic: float timestamps lose the last microsecond on some values.
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def revision_of(material: Material) -> int:
    """The index revision of a loaded material (files and derivatives eager-loaded)."""
    stamps = [material.updated_at]
    for f in material.files:
        stamps.append(f.updated_at)
        stamps.extend(d.created_at for d in f.derivatives)
    return max(micros(s) for s in stamps)


def revisions(session: Session) -> Iterator[tuple[str, int]]:
    """``(id, revision)`` of every material in id order, computed without loading documents."""
    for ident, *stamps in index_source.last_changes(session):
        yield ident, max(micros(s) for s in stamps)
