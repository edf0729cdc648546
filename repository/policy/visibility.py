"""Who may see a material and its files, and who is privileged on it.

The rule exists as SQL for queries (:func:`visible_to`) and, for a loaded material, as the Python
functions below. Files follow the versions: everybody reads the live version's files, the
privileged (owner, curators in scope, admins) also the files of a version still in progress.
The functions take the versions the caller loaded, so they run no query.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, true

from repository.models import Material, MaterialVersion, Role, User, WorkflowState
from repository.policy.roles import has_role
from repository.policy.scope import in_scope, in_scope_clause


def visible_to(actor: User | None) -> ColumnElement[bool]:
    """Which materials ``actor`` may see. The single visibility rule, applied inside queries.

    Approved materials are public. Teachers also see their own. Curators also see, inside their
    scope (``User.scope`` subjects/grades, see :mod:`repository.policy.scope`), every material
    that left the owner's desk (anything but a draft); admins see all. A disabled account sees
    what anonymous visitors see.
    """
    public = Material.state == WorkflowState.approved
    if actor is None or actor.disabled:
        return public
    role = Role(actor.role)
    if role is Role.admin:
        return true()
    mine = Material.owner_id == actor.id
    if role is Role.curator:
        scoped = in_scope_clause(actor, Material.meta, Material.organisation_id)
        reviewable = and_(Material.state != WorkflowState.draft, scoped)
        return or_(public, mine, reviewable)
    if role is Role.teacher:
        return or_(public, mine)
    return public


def is_owner(user: User, material: Material) -> bool:
    return material.owner_id == user.id


def owner_or_admin(user: User, material: Material) -> bool:
    """Who may change a material's metadata, files and workflow state as its author."""
    return is_owner(user, material) or has_role(user, Role.admin)


def privileged(actor: User | None, material: Material, version: MaterialVersion | None = None) -> bool:
    """The owner, an admin, or a curator whose scope covers the material (or ``version``, the
    version under review: its metadata may have moved the material into the curator's scope)."""
    if actor is None or actor.disabled:
        return False
    if has_role(actor, Role.admin) or is_owner(actor, material):
        return True
    if has_role(actor, Role.curator):
        return in_scope(actor, material.meta, material.organisation_id) or (
            version is not None and in_scope(actor, version.meta, material.organisation_id)
        )
    return False


def public_file_ids(material: Material, versions: Sequence[MaterialVersion]) -> set[str]:
    """The files everybody may read: the live version's (all of them for a material without
    versions). Callers that load many materials pass the versions they batch-loaded."""
    if not versions:
        return {f.id for f in material.files}
    live = next((v for v in versions if v.number == material.version), None)
    return set(live.file_ids) if live is not None else set()


def visible_file_ids(actor: User | None, material: Material, versions: Sequence[MaterialVersion]) -> set[str]:
    """Which of the material's files ``actor`` may see, given its versions (oldest first).

    The owner, curators in scope and admins see every file. Everybody else sees the files of the
    live version only: files added to a version still in progress are not public until that
    version is approved.
    """
    if versions and privileged(actor, material, versions[-1]):
        return {f.id for f in material.files}
    return public_file_ids(material, versions)


def in_approved_version(file_id: str, versions: Sequence[MaterialVersion]) -> bool:
    """Whether a file belongs to an approved version: files of an older approved version stay
    readable, the record of what was approved."""
    return any(v.state == WorkflowState.approved and file_id in v.file_ids for v in versions)
