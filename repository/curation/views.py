"""What the routes show after a workflow action: the fresh version and comment, read again.

An action returns the row it changed inside its (now committed) transaction; these read it back
in a new session, with the relations the response needs loaded.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from repository.curation.schemas import CommentRead, VersionRead
from repository.curation.store import CurationStore
from repository.errors import NotFound
from repository.material.store import MaterialStore


def version_read(session: Session, material_id: str, version_id: str) -> VersionRead:
    """The version as the API shows it, with whether it is the live one."""
    versions = MaterialStore.from_session(session).versions(material_id)
    fresh = next((x for x in versions if x.id == version_id), None)
    if fresh is None:
        raise NotFound("no such version")
    m = MaterialStore.from_session(session).get_full(material_id)
    return VersionRead.build(fresh, live=m is not None and m.version == fresh.number)


def comment_read(session: Session, material_id: str, comment_id: str) -> CommentRead:
    """A comment of the material's review thread, with its author."""
    comments = CurationStore.from_session(session).comments(material_id)
    found = next((x for x in comments if x.id == comment_id), None)
    if found is None:
        raise NotFound("no such comment")
    return CommentRead.build(found)
