"""The review workflow's owner transitions: submit, withdraw, edit, take down.

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

Where each move lives: this module (submit, withdraw, edit, takedown);
:mod:`repository.curation.decisions` (claim, comment, decide, publish directly, the queue);
:mod:`repository.curation.version_files` (files); :mod:`repository.curation.signing` (the signed
approval); :mod:`repository.curation.versions` (how the public row follows the versions); who may
see what is :mod:`repository.policy`. Every state change queues re-indexing and writes an audit
event; refused attempts are recorded by :mod:`repository.curation.attempts` in a transaction of
their own, because the refused one rolls back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from repository.client.webhooks import webhooks
from repository.curation.attempts import record_step
from repository.curation.versions import (
    EDITABLE_IN_PLACE,
    follow_and_record,
    material_for_update,
    owners_latest,
    versions_of,
    working_version,
)
from repository.errors import Conflict, PermissionDenied, ValidationFailed
from repository.material.service import index_job
from repository.metadata import validate_metadata
from repository.models import IngestStatus, MaterialVersion, ReviewComment, Role, User, WorkflowState, utcnow
from repository.policy.roles import has_role
from repository.policy.scope import in_scope
from repository.policy.visibility import is_owner, owner_or_admin

SUBMITTABLE = EDITABLE_IN_PLACE
WITHDRAWABLE = (WorkflowState.draft, WorkflowState.submitted, WorkflowState.changes_requested)


class WorkflowService:
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
        material, version = owners_latest(session, actor, material_id, change="submit it for review")
        if WorkflowState(version.state) not in SUBMITTABLE:
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
        follow_and_record(
            session, actor, "material.submitted", material, version, {"accepted_failed": failed}, ip=ip
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
        material, version = owners_latest(session, actor, material_id, change="withdraw it")
        if WorkflowState(version.state) not in WITHDRAWABLE:
            raise Conflict(
                f"version {version.number} is {version.state}; there is nothing under review to withdraw"
            )
        version.state = WorkflowState.withdrawn.value
        follow_and_record(session, actor, "material.withdrawn", material, version, {"reason": reason}, ip=ip)
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
        material, latest = owners_latest(session, actor, material_id, change="edit it", before="editing")
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
        version = working_version(session, material, latest, actor)
        version.meta = doc
        version.title = doc["title"]
        follow_and_record(
            session, actor, "material.edited", material, version, {"fields": sorted(changes)}, ip=ip
        )
        return version

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
        material = material_for_update(session, actor, material_id)
        allowed = owner_or_admin(actor, material) or (
            has_role(actor, Role.curator) and in_scope(actor, material.meta, material.organisation_id)
        )
        if not allowed:
            raise PermissionDenied("only the owner, a curator in scope or an admin can take a material down")
        if material.state != WorkflowState.approved:
            raise Conflict(f"the material is {material.state}, not published: there is nothing to take down")
        text = (reason or "").strip()
        if not text:
            raise ValidationFailed("say why the material is taken down (reason)")
        live = next(v for v in versions_of(session, material) if v.number == material.version)
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
        record_step(
            session,
            actor,
            "material.taken_down",
            material,
            {
                "version": live.number,
                "reason": text,
                "role": actor.role,
                "owner": is_owner(actor, material),
            },
            ip=ip,
        )
        return live


workflow = WorkflowService()
