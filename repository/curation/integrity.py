"""Open integrity problems (fixity mismatches, missing blobs), filtered by who may see them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from repository.curation.store import CurationStore
from repository.errors import PermissionDenied
from repository.material.store import MaterialStore
from repository.models import IntegrityIssue, Role, User
from repository.policy.roles import has_role


def open_issues(session: Session, actor: User) -> list[IntegrityIssue]:
    """The open problems ``actor`` may see: curators those on materials they can see, admins all
    (also problems that belong to no material, e.g. a blob nothing references).

    Raises:
        PermissionDenied: teachers and students see no integrity problems.
    """
    if not has_role(actor, Role.curator):
        raise PermissionDenied("only curators and admins see integrity problems")
    issues = CurationStore.from_session(session).open_issues()
    store = MaterialStore.from_session(session)
    visible = {
        i.material_id for i in issues if i.material_id and store.get_visible(i.material_id, actor) is not None
    }
    admin = has_role(actor, Role.admin)
    return [i for i in issues if i.material_id in visible or (i.material_id is None and admin)]
