"""The versions of a material, and how its public ``materials`` row follows them.

Every workflow action loads the material (:func:`material_for_update`) and its versions
(:func:`versions_of`), changes the version it acts on (an edit goes into
:func:`working_version`), then lets the public row follow (:func:`follow`), which also queues
re-indexing. :class:`VersionHistory` reads the history as a given account may see it. See
repository/models/curation.py for how ``materials`` (the public view) follows its versions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from repository.audit.service import audit
from repository.client.webhooks import webhooks
from repository.curation.attempts import record_step
from repository.curation.store import CurationStore
from repository.errors import Conflict, MetadataInvalid, NotFound, PermissionDenied
from repository.material.service import index_job
from repository.material.store import IngestStore, MaterialStore
from repository.metadata import metadata_title_from_filename, validate_metadata
from repository.models import Material, MaterialVersion, User, WorkflowState
from repository.policy.visibility import owner_or_admin, privileged
from repository.user.names import storable
from repository.user.service import user as user_service

#: A version in one of these states (and never signed) changes in place; any other edit goes into
#: a new draft n+1, so a signed version never changes under its signature.
EDITABLE_IN_PLACE = (WorkflowState.draft, WorkflowState.changes_requested, WorkflowState.withdrawn)


def material_for_update(session: Session, actor: User, material_id: str) -> Material:
    """The material ``actor`` may see, locked for this transaction.

    Raises:
        NotFound: no such material, or not visible to ``actor``.
    """
    return _found(CurationStore.from_session(session).material_for_update(material_id, actor), material_id)


def versions_of(session: Session, material: Material) -> list[MaterialVersion]:
    """The material's versions, oldest first; creates version 1 for a material that has none.

    Materials created before curation existed (or by the upload path, which does not know
    about versions) get their first version lazily, from the material row itself.
    """
    store = MaterialStore.from_session(session)
    versions = store.versions(material.id)
    if versions:
        return versions
    first = MaterialVersion(
        material_id=material.id,
        number=material.version,
        meta=dict(material.meta),
        title=material.title,
        file_ids=[f.id for f in material.files],
        state=material.state,
        created_by_id=material.owner_id,
        created_at=material.created_at,
    )
    CurationStore.from_session(session).add(first)
    return store.versions(material.id)


def owners_latest(
    session: Session, actor: User, material_id: str, *, change: str, before: str | None = None
) -> tuple[Material, MaterialVersion]:
    """The material and its latest version, for a step only its owner (or an admin) may take.

    Args:
        change: what is refused to others (``"edit it"``).
        before: for an edit of the metadata or the files, which never happens while the version is
            under review: what the version must be withdrawn before (``"editing"``).

    Raises:
        NotFound: no such material visible to ``actor``.
        PermissionDenied: not the owner (or an admin).
        Conflict: ``before`` is given and the latest version is under review.
    """
    material = material_for_update(session, actor, material_id)
    if not owner_or_admin(actor, material):
        raise PermissionDenied(f"only the owner of a material can {change}")
    latest = versions_of(session, material)[-1]
    if before is not None and latest.state == WorkflowState.submitted:
        raise Conflict(f"version {latest.number} is under review; withdraw it before {before}")
    return material, latest


def working_version(
    session: Session, material: Material, latest: MaterialVersion, actor: User
) -> MaterialVersion:
    """The version an edit goes into: ``latest`` itself while it is a draft-like version never
    signed; otherwise (approved, rejected, or taken down after approval) a new draft n+1
    copying it, so a signed version never changes under its signature."""
    if WorkflowState(latest.state) in EDITABLE_IN_PLACE and latest.signature is None:
        return latest
    version = MaterialVersion(
        material_id=material.id,
        number=latest.number + 1,
        meta=dict(latest.meta),
        title=latest.title,
        file_ids=list(latest.file_ids),
        state=WorkflowState.draft.value,
        created_by_id=actor.id,
    )
    CurationStore.from_session(session).add(version)
    return version


def follow(session: Session, material: Material, version: MaterialVersion) -> None:
    """Make the public ``materials`` row follow a version change, and queue re-indexing.

    Once a material has been approved it stays public; later versions become live only when
    they are approved themselves.
    """
    was_public = material.state == WorkflowState.approved
    if version.state == WorkflowState.approved:
        material.meta = dict(version.meta)
        material.schema = version.meta["$schema"]
        material.title = version.title
        material.version = version.number
        material.state = WorkflowState.approved.value
    elif material.state != WorkflowState.approved:
        material.meta = dict(version.meta)
        material.schema = version.meta["$schema"]
        material.title = version.title
        material.version = version.number
        material.state = version.state
    session.flush()
    index_job(session, material.id)
    if version.state == WorkflowState.approved:
        webhooks.emit(session, "material.updated" if was_public else "material.published", material)


def follow_and_record(
    session: Session,
    actor: User,
    action: str,
    material: Material,
    version: MaterialVersion,
    data: dict[str, Any] | None = None,
    *,
    ip: str | None,
) -> None:
    """:func:`follow` a version change and audit it (``{"version": number, **data}``)."""
    follow(session, material, version)
    record_step(session, actor, action, material, {"version": version.number, **(data or {})}, ip=ip)


def visible_material(session: Session, actor: User | None, material_id: str) -> Material:
    """The material as ``actor`` may see it (not locked).

    Raises:
        NotFound: no such material, or not visible to ``actor``.
    """
    return _found(MaterialStore.from_session(session).get_visible(material_id, actor), material_id)


def _found(material: Material | None, material_id: str) -> Material:
    # 404 for both "absent" and "not yours to see": existence is not disclosed.
    if material is None:
        raise NotFound(f"no material with id {material_id!r}")
    return material


class VersionHistory:
    def versions_of(self, session: Session, material: Material) -> list[MaterialVersion]:
        """The material's versions, oldest first (see :func:`versions_of`)."""
        return versions_of(session, material)

    def history(
        self, session: Session, actor: User | None, material_id: str
    ) -> tuple[Material, list[tuple[MaterialVersion, bool]]]:
        """The versions the actor may read, with whether each may be opened.

        Everyone who can see the material sees approved versions; the owner, curators in scope
        and admins also see the ones in progress.
        """
        material = visible_material(session, actor, material_id)
        versions = MaterialStore.from_session(session).versions(material.id)
        if not versions:  # not touched by the workflow yet: version 1 is the material row itself
            synthetic = MaterialVersion(
                material_id=material.id,
                number=material.version,
                meta=material.meta,
                title=material.title,
                file_ids=[f.id for f in material.files],
                state=material.state,
                created_by=material.owner,
                created_at=material.created_at,
                rubric={},
                submitted_by=None,
                claimed_by=None,
                decided_by=None,
            )
            versions = [synthetic]
        shown = privileged(actor, material, versions[-1])
        return material, [(v, True) for v in versions if shown or v.state == WorkflowState.approved]

    def version(self, session: Session, actor: User | None, material_id: str, number: int) -> MaterialVersion:
        """One version; an older one is readable only if it was approved (or by the privileged)."""
        _material, versions = self.history(session, actor, material_id)
        for v, _ in versions:
            if v.number == number:
                return v
        raise NotFound(f"material {material_id!r} has no version {number} you can read")


version_history = VersionHistory()


def title_from_document(session: Session, file_id: str, filename: str, doc_title: Any) -> None:
    """Replace a title that was only derived from the file's name by the document's own title
    (what ingest found in it), as an edit of the working version by the system account.

    Only on a draft whose working version is an unsigned draft: once a material is submitted
    or published (``import --approve-as`` publishes before ingest ends), its metadata is what
    the curator saw and signed."""
    if not isinstance(doc_title, str) or not (3 <= len(doc_title.strip()) <= 300):
        return
    if not storable(doc_title):
        return  # a NUL or a lone surrogate (a hostile package's <title>): the database refuses it
    store = IngestStore.from_session(session)
    f = store.get(file_id)
    material = store.material_with_files(f.material_id) if f is not None else None
    if material is None or material.state != WorkflowState.draft:
        return
    if material.meta.get("title") != metadata_title_from_filename(filename):
        return
    try:
        doc = validate_metadata({**material.meta, "title": doc_title})
    except MetadataInvalid:
        return
    version = versions_of(session, material)[-1]
    if version.state != WorkflowState.draft or version.signature is not None:
        return
    version.meta = doc
    version.title = doc["title"]
    # A draft material shows its working version (as an edit through the workflow keeps it).
    material.meta = dict(doc)
    material.schema = doc["$schema"]
    material.title = doc["title"]
    audit.record(
        session,
        actor=user_service.system_user(session),
        action="material.edited",
        subject_type="material",
        subject_id=material.id,
        data={"version": version.number, "fields": ["title"], "source": "ingest", "file_id": file_id},
    )
