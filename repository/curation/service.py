"""The review workflow: submit, withdraw, edit, claim, comment, decide (single and bulk), versions.

States of a version: ``draft`` → ``submitted`` → ``approved`` | ``changes_requested`` | ``rejected``,
and ``withdrawn``. Allowed moves (anything else is a ``Conflict``)::

    submit    draft | changes_requested | withdrawn → submitted   (owner or admin; ingest finished)
    withdraw  draft | submitted | changes_requested → withdrawn   (owner or admin)
    edit      draft | changes_requested | withdrawn: in place;  approved | rejected: new draft n+1
    decide    submitted → approved | changes_requested | rejected (curator in scope or admin, not own)
    takedown  the live approved version → withdrawn, material no longer public (owner, curator in
              scope or admin, with a reason); republished by submitting again and approval
    files     add/replace/remove files of the working version (like edit: an approved or signed
              version keeps its own file set; the change goes into version n+1)

See repository/models/curation.py for how ``materials`` (the public view) follows its versions.
Every state change queues re-indexing (``index_job``) and writes an audit event; refused
attempts are recorded with :meth:`CurationService.record_refusal`, which the caller runs in its
own transaction because the refused one rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from repository.audit.service import audit
from repository.client.webhooks import webhooks
from repository.curation.schemas import RUBRIC, Decision, QueueItem, SignatureRead, VerifyReport
from repository.curation.scope import in_scope
from repository.curation.store import CurationStore
from repository.errors import Conflict, NotFound, PermissionDenied, RepositoryError, ValidationFailed
from repository.material.service import (
    MAX_FILES_PER_MATERIAL,
    NewFile,
    file_row,
    index_job,
    ingest_job,
)
from repository.material.store import MaterialStore
from repository.metadata import validate_metadata
from repository.models import (
    IngestStatus,
    Material,
    MaterialFile,
    MaterialVersion,
    ReviewComment,
    Role,
    User,
    WorkflowState,
    utcnow,
)
from repository.signing import (
    ALGORITHM,
    MANIFEST_FORMAT,
    MANIFEST_TYPE,
    Signer,
    metadata_sha256,
)
from repository.storage import BlobStore
from repository.user.service import has_role

EDITABLE_IN_PLACE = (WorkflowState.draft, WorkflowState.changes_requested, WorkflowState.withdrawn)
SUBMITTABLE = EDITABLE_IN_PLACE
WITHDRAWABLE = (WorkflowState.draft, WorkflowState.submitted, WorkflowState.changes_requested)
DECISION_STATE = {
    Decision.approve: WorkflowState.approved,
    Decision.request_changes: WorkflowState.changes_requested,
    Decision.reject: WorkflowState.rejected,
}


def _is_admin(user: User) -> bool:
    return has_role(user, Role.admin)


def _is_owner(user: User, material: Material) -> bool:
    return material.owner_id == user.id


def _state(value: str) -> WorkflowState:
    return WorkflowState(value)


def build_manifest(
    material: Material, version: MaterialVersion, files: Sequence[MaterialFile], curator: User, at: str
) -> dict[str, Any]:
    """The canonical approval manifest of one version (what gets signed)."""
    return {
        "type": MANIFEST_TYPE,
        "format": MANIFEST_FORMAT,
        "material_id": material.id,
        "version": version.number,
        "files": [
            {
                "id": f.id,
                "filename": f.filename,
                "media_type": f.media_type,
                "sha256": f.sha256,
                "size": f.size,
            }
            for f in files
        ],
        "metadata_sha256": metadata_sha256(version.meta),
        "curator": {"id": curator.id, "username": curator.username},
        "approved_at": at,
    }


def public_file_ids(material: Material, versions: Sequence[MaterialVersion]) -> set[str]:
    """The files everybody may read: the live version's (all of them for a material without
    versions). Callers that load many materials pass the versions they batch-loaded."""
    if not versions:
        return {f.id for f in material.files}
    live = next((v for v in versions if v.number == material.version), None)
    return set(live.file_ids) if live is not None else set()


def signed_approval(versions: Sequence[MaterialVersion], number: int) -> MaterialVersion | None:
    """Version ``number`` when it is approved and carries its signed manifest, else None."""
    for v in versions:
        if v.number == number and v.state == WorkflowState.approved and v.signature and v.manifest:
            return v
    return None


class CurationService:
    # --- loading ---------------------------------------------------------------------------

    def _material(self, session: Session, actor: User, material_id: str) -> Material:
        material = CurationStore.from_session(session).material_for_update(material_id, actor)
        if material is None:
            raise NotFound(f"no material with id {material_id!r}")
        return material

    def versions_of(self, session: Session, material: Material) -> list[MaterialVersion]:
        """The material's versions, oldest first; creates version 1 for a material that has none.

        Materials created before curation existed (or by the upload path, which does not know
        about versions) get their first version lazily, from the material row itself.
        """
        store = CurationStore.from_session(session)
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
        store.add(first)
        return store.versions(material.id)

    def privileged(self, actor: User | None, material: Material) -> bool:
        """The owner, an admin, or a curator whose scope covers the material."""
        return self._privileged(actor, material)

    def _privileged(
        self, actor: User | None, material: Material, version: MaterialVersion | None = None
    ) -> bool:
        """Owner, admin, or a curator whose scope covers the material (or the version under review)."""
        if actor is None or actor.disabled:
            return False
        if _is_admin(actor) or _is_owner(actor, material):
            return True
        if has_role(actor, Role.curator):
            return in_scope(actor, material.meta, material.organisation_id) or (
                version is not None and in_scope(actor, version.meta, material.organisation_id)
            )
        return False

    # --- owner actions ---------------------------------------------------------------------

    def submit(
        self,
        session: Session,
        actor: User,
        material_id: str,
        *,
        accept_failed: bool = False,
        reason: str | None = None,
        ip: str | None = None,
    ) -> MaterialVersion:
        """Send the working version to review.

        Raises:
            PermissionDenied: not the owner (or an admin).
            Conflict: the version is not a draft/changes requested/withdrawn, or ingest is not finished.
            ValidationFailed: ``accept_failed`` without a reason.
        """
        material = self._material(session, actor, material_id)
        if not (_is_owner(actor, material) or _is_admin(actor)):
            raise PermissionDenied("only the owner of a material can submit it for review")
        version = self.versions_of(session, material)[-1]
        if _state(version.state) not in SUBMITTABLE:
            raise Conflict(
                f"version {version.number} is {version.state}; only a draft, a version with changes "
                "requested or a withdrawn version can be submitted"
            )
        files = [f for f in material.files if f.id in set(version.file_ids)]
        pending = [f.filename for f in files if f.status in (IngestStatus.queued, IngestStatus.processing)]
        if pending:
            raise Conflict(
                f"ingest is not finished for {len(pending)} file(s): "
                f"{', '.join(pending[:5])}; try again later",
                details=[{"field": "files", "message": "pending", "files": pending[:5]}],
            )
        failed = [f.filename for f in files if f.status == IngestStatus.failed]
        reason = (reason or "").strip() or None
        if failed and not accept_failed:
            raise Conflict(
                f"ingest failed for {len(failed)} file(s): {', '.join(failed[:5])}; fix them or submit with "
                "accept_failed and a reason",
                details=[{"field": "files", "message": "failed", "files": failed[:5]}],
            )
        if accept_failed and failed and reason is None:
            raise ValidationFailed("accept_failed needs a reason saying why the failed files are acceptable")
        version.state = WorkflowState.submitted.value
        version.submitted_by_id = actor.id
        version.submitted_at = utcnow()
        version.accept_failed_reason = reason if failed else None
        version.claimed_by_id = None
        version.claimed_at = None
        self._follow(session, material, version)
        audit.record(
            session,
            actor=actor,
            action="material.submitted",
            subject_type="material",
            subject_id=material.id,
            data={"version": version.number, "accepted_failed": failed},
            ip=ip,
        )
        return version

    def withdraw(
        self,
        session: Session,
        actor: User,
        material_id: str,
        *,
        reason: str | None = None,
        ip: str | None = None,
    ) -> MaterialVersion:
        """Take the working version out of review (or out of the drafts)."""
        material = self._material(session, actor, material_id)
        if not (_is_owner(actor, material) or _is_admin(actor)):
            raise PermissionDenied("only the owner of a material can withdraw it")
        version = self.versions_of(session, material)[-1]
        if _state(version.state) not in WITHDRAWABLE:
            raise Conflict(
                f"version {version.number} is {version.state}; there is nothing under review to withdraw"
            )
        version.state = WorkflowState.withdrawn.value
        self._follow(session, material, version)
        audit.record(
            session,
            actor=actor,
            action="material.withdrawn",
            subject_type="material",
            subject_id=material.id,
            data={"version": version.number, "reason": reason},
            ip=ip,
        )
        return version

    def edit(
        self,
        session: Session,
        actor: User,
        material_id: str,
        *,
        changes: dict[str, Any],
        replace: bool = False,
        ip: str | None = None,
    ) -> MaterialVersion:
        """Change the metadata. Drafts change in place; an approved material gets a new version.

        Raises:
            PermissionDenied: not the owner (or an admin).
            Conflict: the working version is under review (withdraw it first).
            MetadataInvalid: the resulting document does not validate.
        """
        material = self._material(session, actor, material_id)
        if not (_is_owner(actor, material) or _is_admin(actor)):
            raise PermissionDenied("only the owner of a material can edit it")
        versions = self.versions_of(session, material)
        latest = versions[-1]
        if latest.state == WorkflowState.submitted:
            raise Conflict(f"version {latest.number} is under review; withdraw it before editing")
        if replace:
            doc = dict(changes)
        else:
            doc = dict(latest.meta)
            for key, value in changes.items():
                if value is None:
                    doc.pop(key, None)
                else:
                    doc[key] = value
        doc.setdefault("$schema", latest.meta.get("$schema"))
        doc = validate_metadata(doc)
        version = self._working(session, material, latest, actor)
        version.meta = doc
        version.title = doc["title"]
        self._follow(session, material, version)
        audit.record(
            session,
            actor=actor,
            action="material.edited",
            subject_type="material",
            subject_id=material.id,
            data={"version": version.number, "fields": sorted(changes)},
            ip=ip,
        )
        return version

    def _working(
        self, session: Session, material: Material, latest: MaterialVersion, actor: User
    ) -> MaterialVersion:
        """The version an edit goes into: ``latest`` itself while it is a draft-like version never
        signed; otherwise (approved, rejected, or taken down after approval) a new draft n+1
        copying it, so a signed version never changes under its signature."""
        if _state(latest.state) in EDITABLE_IN_PLACE and latest.signature is None:
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

    def _editable(self, session: Session, actor: User, material_id: str) -> tuple[Material, MaterialVersion]:
        material = self._material(session, actor, material_id)
        if not (_is_owner(actor, material) or _is_admin(actor)):
            raise PermissionDenied("only the owner of a material can change its files")
        latest = self.versions_of(session, material)[-1]
        if latest.state == WorkflowState.submitted:
            raise Conflict(f"version {latest.number} is under review; withdraw it before changing its files")
        return material, self._working(session, material, latest, actor)

    def add_files(
        self,
        session: Session,
        actor: User,
        material_id: str,
        *,
        files: Sequence[NewFile],
        replaces: str | None = None,
        ip: str | None = None,
    ) -> MaterialVersion:
        """Add stored uploads to the working version (or put one in place of ``replaces``).

        An approved material keeps its approved version (and that version's files) public; the
        new files belong to version n+1 only, and their ingest is queued now, so the version
        can be submitted once it finished.

        Raises:
            PermissionDenied: not the owner (or an admin).
            Conflict: the working version is under review.
            NotFound: ``replaces`` is not a file of the working version.
            ValidationFailed: no files, too many files, several files for one replacement.
        """
        if not files:
            raise ValidationFailed("send at least one file (multipart part named 'file')")
        if replaces is not None and len(files) != 1:
            raise ValidationFailed("a replacement takes exactly one file")
        material, version = self._editable(session, actor, material_id)
        ids = list(version.file_ids)
        if replaces is not None and replaces not in ids:
            raise NotFound(f"version {version.number} has no file {replaces!r}")
        if len(ids) + len(files) - (1 if replaces else 0) > MAX_FILES_PER_MATERIAL:
            raise ValidationFailed(f"at most {MAX_FILES_PER_MATERIAL} files per material")
        store = MaterialStore.from_session(session)
        position = max((f.position for f in material.files), default=-1) + 1
        added: list[MaterialFile] = []
        for new in files:
            f = file_row(store, new, position=position, exclude_material=material.id)
            position += 1
            material.files.append(f)
            added.append(f)
        session.flush()
        new_ids = [f.id for f in added]
        if replaces is not None:
            at = ids.index(replaces)
            ids[at : at + 1] = new_ids
        else:
            ids += new_ids
        version.file_ids = ids  # a new list: JSON columns notice assignment, not mutation
        self._drop_unreferenced(session, material, version, [replaces] if replaces else [])
        for f in added:
            ingest_job(session, f.id)
        self._follow(session, material, version)
        audit.record(
            session,
            actor=actor,
            action="material.files_changed",
            subject_type="material",
            subject_id=material.id,
            data={
                "version": version.number,
                "added": [{"id": f.id, "filename": f.filename, "sha256": f.sha256} for f in added],
                "removed": [replaces] if replaces else [],
            },
            ip=ip,
        )
        return version

    def remove_file(
        self, session: Session, actor: User, material_id: str, file_id: str, *, ip: str | None = None
    ) -> MaterialVersion:
        """Take a file out of the working version (an approved version keeps it).

        Raises:
            NotFound: the working version has no such file.
            Conflict: it is the version's only file, or the version is under review.
        """
        material, version = self._editable(session, actor, material_id)
        ids = list(version.file_ids)
        if file_id not in ids:
            raise NotFound(f"version {version.number} has no file {file_id!r}")
        if len(ids) == 1:
            raise Conflict("a version needs at least one file: add the new one before removing the last")
        ids.remove(file_id)
        version.file_ids = ids
        self._drop_unreferenced(session, material, version, [file_id])
        self._follow(session, material, version)
        audit.record(
            session,
            actor=actor,
            action="material.files_changed",
            subject_type="material",
            subject_id=material.id,
            data={"version": version.number, "added": [], "removed": [file_id]},
            ip=ip,
        )
        return version

    def _drop_unreferenced(
        self, session: Session, material: Material, version: MaterialVersion, file_ids: Sequence[str]
    ) -> None:
        """Delete file rows no version refers to any more (a draft's own upload replaced or removed).

        Files of an approved, signed or any other version stay: they are part of its record. The
        blob itself stays too (content-addressed, possibly shared; fixity keeps checking it).
        """
        others = self.versions_of(session, material)
        kept = {i for v in others if v.id != version.id for i in v.file_ids} | set(version.file_ids)
        for f in [f for f in material.files if f.id in file_ids and f.id not in kept]:
            material.files.remove(f)
        session.flush()

    def visible_file_ids(self, session: Session, actor: User | None, material: Material) -> set[str]:
        """Which of the material's files ``actor`` may see.

        The owner, curators in scope and admins see every file. Everybody else sees the files of
        the live version only: files added to a version still in progress are not public until
        that version is approved. Callers serving files to readers (material page, downloads,
        search documents, exports) filter with this.
        """
        versions = CurationStore.from_session(session).versions(material.id)
        if versions and self._privileged(actor, material, versions[-1]):
            return {f.id for f in material.files}
        return public_file_ids(material, versions)

    # --- takedown ----------------------------------------------------------------------------

    def takedown(
        self, session: Session, actor: User, material_id: str, *, reason: str, ip: str | None = None
    ) -> MaterialVersion:
        """Withdraw a published material from public view, with a reason (audited).

        The live version becomes ``withdrawn`` and so does the material: search, suggest, browse,
        related and listings stop showing it, OAI-PMH reports it deleted, and the owner, curators
        in scope and admins still see it. Its signed approval is kept. To republish, the owner
        submits again (the taken-down version, or an edited n+1) and a curator approves it.

        Raises:
            PermissionDenied: not the owner, a curator in scope or an admin.
            Conflict: the material is not public.
            ValidationFailed: no reason.
        """
        material = self._material(session, actor, material_id)
        allowed = (
            _is_admin(actor)
            or _is_owner(actor, material)
            or (has_role(actor, Role.curator) and in_scope(actor, material.meta, material.organisation_id))
        )
        if not allowed:
            raise PermissionDenied("only the owner, a curator in scope or an admin can take a material down")
        if material.state != WorkflowState.approved:
            raise Conflict(f"the material is {material.state}, not published: there is nothing to take down")
        text = (reason or "").strip()
        if not text:
            raise ValidationFailed("say why the material is taken down (reason)")
        live = next(v for v in self.versions_of(session, material) if v.number == material.version)
        live.state = WorkflowState.withdrawn.value
        material.state = WorkflowState.withdrawn.value
        session.add(
            ReviewComment(
                material_id=material.id, version_id=live.id, author_id=actor.id, kind="takedown", body=text
            )
        )
        session.flush()
        index_job(session, material.id)
        webhooks.emit(session, "material.taken_down", material)
        audit.record(
            session,
            actor=actor,
            action="material.taken_down",
            subject_type="material",
            subject_id=material.id,
            data={
                "version": live.number,
                "reason": text,
                "role": actor.role,
                "owner": _is_owner(actor, material),
            },
            ip=ip,
        )
        return live

    # --- curator actions -------------------------------------------------------------------

    def _reviewable(
        self, session: Session, actor: User, material_id: str
    ) -> tuple[Material, MaterialVersion]:
        """The material and its version under review, after the checks every curator action shares."""
        if not has_role(actor, Role.curator):
            raise PermissionDenied("only curators and admins review materials")
        material = self._material(session, actor, material_id)
        version = self.versions_of(session, material)[-1]
        if not _is_admin(actor) and not in_scope(actor, version.meta, material.organisation_id):
            raise PermissionDenied(
                "this material is outside your curator scope (subjects, grades, organisations)"
            )
        if _is_owner(actor, material) or version.submitted_by_id == actor.id:
            raise PermissionDenied("nobody reviews their own submission")
        if version.state != WorkflowState.submitted:
            raise Conflict(
                f"version {version.number} is {version.state}, not submitted: there is nothing to review"
            )
        return material, version

    def claim(
        self, session: Session, actor: User, material_id: str, *, ip: str | None = None
    ) -> MaterialVersion:
        """Take a submitted version for review, so two curators do not review the same thing."""
        material, version = self._reviewable(session, actor, material_id)
        if version.claimed_by_id not in (None, actor.id) and not _is_admin(actor):
            raise Conflict("another curator has already claimed this submission")
        version.claimed_by_id = actor.id
        version.claimed_at = utcnow()
        session.add(
            ReviewComment(material_id=material.id, version_id=version.id, author_id=actor.id, kind="claim")
        )
        audit.record(
            session,
            actor=actor,
            action="material.claimed",
            subject_type="material",
            subject_id=material.id,
            data={"version": version.number},
            ip=ip,
        )
        return version

    def comment(self, session: Session, actor: User, material_id: str, *, body: str) -> ReviewComment:
        """Add to the review thread (owner, curator in scope, admin)."""
        material = self._material(session, actor, material_id)
        version = self.versions_of(session, material)[-1]
        if not self._privileged(actor, material, version):
            raise PermissionDenied("only the owner, curators in scope and admins take part in a review")
        text = body.strip()
        if not text:
            raise ValidationFailed("a comment needs some text")
        c = ReviewComment(
            material_id=material.id, version_id=version.id, author_id=actor.id, kind="comment", body=text
        )
        session.add(c)
        session.flush()
        return c

    def comments(self, session: Session, actor: User, material_id: str) -> list[ReviewComment]:
        material = self._material(session, actor, material_id)
        store = CurationStore.from_session(session)
        versions = store.versions(material.id)
        if not self._privileged(actor, material, versions[-1] if versions else None):
            raise PermissionDenied("only the owner, curators in scope and admins read a review thread")
        return store.comments(material.id)

    def decide(
        self,
        session: Session,
        actor: User,
        material_id: str,
        *,
        decision: Decision,
        comment: str | None,
        rubric: Mapping[str, bool | None],
        signer: Signer,
        ip: str | None = None,
    ) -> MaterialVersion:
        """Approve, request changes or reject the submitted version.

        Raises:
            PermissionDenied: not a curator, outside scope, or own submission.
            Conflict: nothing submitted, claimed by someone else, or a required rubric item failed.
            ValidationFailed: unknown rubric items, an unticked required item, a missing comment.
        """
        material, version = self._reviewable(session, actor, material_id)
        if version.claimed_by_id not in (None, actor.id) and not _is_admin(actor):
            raise Conflict("another curator has claimed this submission")
        rubric = self._check_rubric(decision, rubric)
        text = (comment or "").strip() or None
        if decision is not Decision.approve and text is None:
            raise ValidationFailed(
                "say what should change: a comment is required to request changes or reject",
                details=[{"field": "comment", "message": "required"}],
            )
        self._apply_decision(session, actor, material, version, decision, text, rubric, signer)
        audit.record(
            session,
            actor=actor,
            action=f"material.{DECISION_STATE[decision].value}",
            subject_type="material",
            subject_id=material.id,
            data={
                "version": version.number,
                "rubric": rubric,
                "comment": text,
                "signature_key": version.key_id,
            },
            ip=ip,
        )
        return version

    def _check_rubric(self, decision: Decision, rubric: Mapping[str, bool | None]) -> dict[str, bool | None]:
        known = {item.key: item for item in RUBRIC}
        unknown = sorted(set(rubric) - set(known))
        if unknown:
            raise ValidationFailed(
                f"unknown rubric item(s): {', '.join(unknown)}",
                details=[
                    {"field": f"rubric.{k}", "message": "unknown item", "allowed": list(known)}
                    for k in unknown
                ],
            )
        if decision is Decision.approve:
            failed = [item for item in RUBRIC if item.required and rubric.get(item.key) is False]
            if failed:
                raise Conflict(
                    f"approval is blocked by failed rubric item(s): {'; '.join(i.label for i in failed)}",
                    details=[{"field": f"rubric.{i.key}", "message": "failed"} for i in failed],
                )
            unticked = [item for item in RUBRIC if item.required and rubric.get(item.key) is not True]
            if unticked:
                raise ValidationFailed(
                    "tick every required rubric item before approving: "
                    + "; ".join(i.label for i in unticked),
                    details=[{"field": f"rubric.{i.key}", "message": "required"} for i in unticked],
                )
        return {item.key: rubric.get(item.key) for item in RUBRIC}

    def _apply_decision(
        self,
        session: Session,
        actor: User,
        material: Material,
        version: MaterialVersion,
        decision: Decision,
        comment: str | None,
        rubric: dict[str, Any],
        signer: Signer,
    ) -> None:
        now = utcnow()
        version.state = DECISION_STATE[decision].value
        version.decided_by_id = actor.id
        version.decided_at = now
        version.decision_comment = comment
        version.rubric = rubric
        session.add(
            ReviewComment(
                material_id=material.id,
                version_id=version.id,
                author_id=actor.id,
                kind=decision.value,
                body=comment or "",
            )
        )
        if decision is Decision.approve:
            self._sign(version, material, actor, signer, now.isoformat())
        self._follow(session, material, version)

    def _sign(
        self, version: MaterialVersion, material: Material, curator: User, signer: Signer, at: str
    ) -> None:
        wanted = list(version.file_ids)
        by_id = {f.id: f for f in material.files}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise Conflict(f"version {version.number} names files that no longer exist: {', '.join(missing)}")
        manifest = build_manifest(material, version, [by_id[i] for i in wanted], curator, at)
        version.manifest = manifest
        version.signature = signer.sign(manifest)
        version.key_id = signer.key_id

    def _follow(self, session: Session, material: Material, version: MaterialVersion) -> None:
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

    def bulk_decide(
        self,
        session: Session,
        actor: User,
        material_ids: Sequence[str],
        *,
        decision: Decision,
        comment: str | None,
        rubric: dict[str, bool | None],
        signer: Signer,
        ip: str | None = None,
    ) -> list[tuple[str, RepositoryError | MaterialVersion]]:
        """Decide many submissions. Each item succeeds or fails on its own (a savepoint each);
        refusals are audited like single ones."""
        results: list[tuple[str, RepositoryError | MaterialVersion]] = []
        for material_id in dict.fromkeys(material_ids):
            try:
                with session.begin_nested():
                    version = self.decide(
                        session,
                        actor,
                        material_id,
                        decision=decision,
                        comment=comment,
                        rubric=rubric,
                        signer=signer,
                        ip=ip,
                    )
                results.append((material_id, version))
            except RepositoryError as exc:
                self.record_refusal(
                    session,
                    actor,
                    action=f"review.{decision.value}",
                    material_id=material_id,
                    error=exc,
                    ip=ip,
                )
                results.append((material_id, exc))
        return results

    def publish_direct(
        self,
        session: Session,
        admin: User,
        material_id: str,
        *,
        signer: Signer,
        note: str,
        ip: str | None = None,
    ) -> MaterialVersion:
        """Publish without review (collections curated elsewhere): approved, signed, audited as ``admin``."""
        if not _is_admin(admin):
            raise PermissionDenied("only an admin can publish materials directly")
        material = self._material(session, admin, material_id)
        version = self.versions_of(session, material)[-1]
        if version.state == WorkflowState.approved and version.signature is not None:
            return version  # idempotent: re-running an import changes nothing
        version.submitted_by_id = version.submitted_by_id or admin.id
        version.submitted_at = version.submitted_at or utcnow()
        self._apply_decision(session, admin, material, version, Decision.approve, note, {}, signer)
        audit.record(
            session,
            actor=admin,
            action="material.approved",
            subject_type="material",
            subject_id=material.id,
            data={
                "version": version.number,
                "direct": True,
                "comment": note,
                "signature_key": version.key_id,
            },
            ip=ip,
        )
        return version

    def record_refusal(
        self,
        session: Session,
        actor: User | None,
        *,
        action: str,
        material_id: str,
        error: RepositoryError,
        ip: str | None = None,
    ) -> None:
        """Audit a refused workflow attempt (wrong state, outside scope, own submission...)."""
        audit.record(
            session,
            actor=actor,
            action="curation.refused",
            subject_type="material",
            subject_id=material_id[:100],
            data={"attempt": action, "status": error.status_code, "reason": error.message},
            ip=ip,
        )

    # --- reading -----------------------------------------------------------------------------

    def queue(self, session: Session, actor: User, *, page: int, size: int) -> tuple[list[QueueItem], int]:
        """Submitted versions the curator may decide (scope-filtered, oldest submission first)."""
        if not has_role(actor, Role.curator):
            raise PermissionDenied("only curators and admins have a review queue")
        store = CurationStore.from_session(session)
        rows, total = store.queue(actor, offset=(page - 1) * size, limit=size)
        issues: dict[str, list[str]] = {}
        for issue in store.open_issues([m.id for _, m in rows]):
            issues.setdefault(issue.material_id or "", []).append(f"{issue.problem}: {issue.detail}")
        items = [
            QueueItem(
                material_id=m.id,
                version=v.number,
                title=v.title,
                owner=m.owner.username,
                subjects=list(v.meta.get("subjects", [])),
                grades=list(v.meta.get("grades", [])),
                submitted_by=v.submitted_by.username if v.submitted_by else None,
                submitted_at=v.submitted_at,
                claimed_by=v.claimed_by.username if v.claimed_by else None,
                files_failed=sum(
                    1 for f in m.files if f.id in set(v.file_ids) and f.status == IngestStatus.failed
                ),
                accept_failed_reason=v.accept_failed_reason,
                integrity_problems=issues.get(m.id, []),
            )
            for v, m in rows
        ]
        return items, total

    def history(
        self, session: Session, actor: User | None, material_id: str
    ) -> tuple[Material, list[tuple[MaterialVersion, bool]]]:
        """The versions the actor may read, with whether each may be opened.

        Everyone who can see the material sees approved versions; the owner, curators in scope
        and admins also see the ones in progress.
        """
        store = CurationStore.from_session(session)
        material = self._visible(session, actor, material_id)
        versions = store.versions(material.id)
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
        privileged = self._privileged(actor, material, versions[-1])
        return material, [(v, True) for v in versions if privileged or v.state == WorkflowState.approved]

    def version(self, session: Session, actor: User | None, material_id: str, number: int) -> MaterialVersion:
        """One version; an older one is readable only if it was approved (or by the privileged)."""
        _material, versions = self.history(session, actor, material_id)
        for v, _ in versions:
            if v.number == number:
                return v
        raise NotFound(f"material {material_id!r} has no version {number} you can read")

    def _visible(self, session: Session, actor: User | None, material_id: str) -> Material:
        from repository.material.store import MaterialStore

        material = MaterialStore.from_session(session).get_visible(material_id, actor)
        if material is None:
            raise NotFound(f"no material with id {material_id!r}")
        return material

    def signature(
        self, session: Session, actor: User | None, material_id: str, *, number: int | None = None
    ) -> SignatureRead:
        """The signed manifest of the live version (or of an older approved one)."""
        material = self._visible(session, actor, material_id)
        wanted = number if number is not None else material.version
        v = signed_approval(CurationStore.from_session(session).versions(material.id), wanted)
        if v is not None:
            return SignatureRead(
                material_id=material.id,
                version=v.number,
                algorithm=ALGORITHM,
                key_id=v.key_id or "",
                manifest=v.manifest,
                signature=v.signature,
            )
        raise NotFound(f"material {material_id!r} has no signed approval for version {wanted}")

    def verify(
        self,
        session: Session,
        material_id: str,
        *,
        signer: Signer,
        blobs: BlobStore | None,
        number: int | None = None,
    ) -> VerifyReport:
        """Check one approved version against its signed manifest.

        Checks: the signature over the manifest; that the manifest names this material and
        version; the metadata hash (version row and, for the live version, the public row); each
        file's recorded sha256/size; and, when ``blobs`` is given, the stored bytes themselves.
        """
        store = CurationStore.from_session(session)
        material = store.material_full(material_id)
        if material is None:
            return VerifyReport(
                material_id=material_id, version=None, ok=False, problems=["no such material"]
            )
        wanted = number if number is not None else material.version
        version = next((v for v in store.versions(material.id) if v.number == wanted), None)
        if (
            version is None
            or version.state != WorkflowState.approved
            or not version.signature
            or not version.manifest
        ):
            why = (
                f"version {wanted} was taken down (withdrawn from public view)"
                if version is not None and version.signature and version.state == WorkflowState.withdrawn
                else f"version {wanted} has no signed approval"
            )
            return VerifyReport(material_id=material.id, version=wanted, ok=False, problems=[why])
        return self.verify_version(material, version, signer=signer, blobs=blobs)

    def verify_version(
        self, material: Material, version: MaterialVersion, *, signer: Signer, blobs: BlobStore | None
    ) -> VerifyReport:
        problems: list[str] = []
        manifest = version.manifest or {}
        # The key the approval names (current or retired): old approvals verify after a rotation.
        problem = signer.check(version.key_id, manifest, version.signature or "")
        if problem is not None:
            problems.append(problem)
        if manifest.get("material_id") != material.id or manifest.get("version") != version.number:
            problems.append("the manifest names another material or version")
        expected = manifest.get("metadata_sha256")
        if metadata_sha256(version.meta) != expected:
            problems.append(f"version {version.number} metadata does not match the signed hash")
        if material.version == version.number and metadata_sha256(material.meta) != expected:
            problems.append("the published metadata does not match the signed hash")
        by_id = {f.id: f for f in material.files}
        checked = 0
        for entry in manifest.get("files", []):
            f = by_id.get(str(entry.get("id")))
            name = entry.get("filename", entry.get("id"))
            if f is None:
                problems.append(f"file {name}: no longer part of the material")
                continue
            if f.sha256 != entry.get("sha256") or f.size != entry.get("size"):
                problems.append(f"file {name}: recorded hash or size differs from the signed manifest")
            if blobs is not None:
                checked += 1
                if not blobs.exists(f.storage_key):
                    problems.append(f"file {name}: stored blob is missing")
                elif blobs.size(f.storage_key) != entry.get("size") or not blobs.verify(f.storage_key):
                    problems.append(f"file {name}: stored bytes do not match the signed sha256")
                elif f.storage_key.rsplit("/", 1)[-1] != entry.get("sha256"):
                    problems.append(f"file {name}: stored under another hash than the signed one")
        return VerifyReport(
            material_id=material.id,
            version=version.number,
            ok=not problems,
            problems=problems,
            checked_files=checked,
        )

    def find_signed_file(
        self, session: Session, sha256: str, size: int, *, signer: Signer
    ) -> tuple[Material, MaterialVersion, str] | None:
        """A valid signed approval that names a file with these bytes: the material, the version
        and the file's signed name (``hoclieu verify FILE``); None when there is none."""
        store = CurationStore.from_session(session)
        for version in store.approved_signed_versions():
            entries = [f for f in (version.manifest or {}).get("files", []) if f.get("sha256") == sha256]
            if not entries:
                continue
            material = store.material_full(version.material_id)
            if material is None:
                continue
            report = self.verify_version(material, version, signer=signer, blobs=None)
            if report.ok and entries[0].get("size") == size:
                return material, version, str(entries[0].get("filename"))
        return None


curation = CurationService()
