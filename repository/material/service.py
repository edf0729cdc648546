"""Materials: create from uploads, read with visibility applied, list.

Write recipe (house style): check permission → validate metadata → mutate → register
post-commit work (ingest per file, search indexing) through the durable job table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from repository import jobs
from repository.audit.service import audit
from repository.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from repository.material.store import MaterialStore
from repository.mediatypes import extension_for
from repository.metadata import metadata_title_from_filename, validate_metadata
from repository.models import (
    IngestStatus,
    Material,
    MaterialFile,
    Organisation,
    Role,
    User,
    WorkflowState,
)
from repository.policy.roles import has_role
from repository.policy.visibility import in_approved_version, privileged, visible_file_ids
from repository.storage import BlobInfo

MAX_FILES_PER_MATERIAL = 50
# Originals the content origin plays as documents (in a sandbox, never on the portal's origin).
PLAYABLE_DOCUMENTS = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True)
class PublicContent:
    storage_key: str
    media_type: str
    filename: str


@dataclass(frozen=True)
class NewFile:
    """An upload already stored in the blob store."""

    filename: str
    blob: BlobInfo
    media_type: str
    declared_media_type: str | None = None


#: Tries of a file's ingest job: errors and workers that died running it both count, so a file
#: that kills whatever processes it fails (with that reason) after this many workers, instead of
#: taking down workers for ever. Above the ingest's own 3 retries of a transient error, so a few
#: unlucky restarts of a deployment never fail a good file.
INGEST_ATTEMPTS = 5


def ingest_job(session: Session, file_id: str) -> None:
    """Queue (once) the ingest of an uploaded file."""
    jobs.enqueue(
        session,
        "ingest.tasks.process_file",
        key=f"ingest:file:{file_id}",
        max_attempts=INGEST_ATTEMPTS,
        file_id=file_id,
    )


def index_job(session: Session, material_id: str) -> None:
    """Queue (once) the re-indexing of a material: the outbox row for the search projection."""
    # Queue "index": in the embedded mode only the serving process holds the index writer.
    jobs.enqueue(
        session,
        "search.tasks.index_material",
        key=f"index:material:{material_id}",
        queue="index",
        material_id=material_id,
    )


def file_row(
    store: MaterialStore, new: NewFile, *, position: int, exclude_material: str | None = None
) -> MaterialFile:
    """The ``material_files`` row for a stored upload: queued for ingest, exact duplicates flagged."""
    return MaterialFile(
        position=position,
        filename=clean_filename(new.filename),
        declared_media_type=new.declared_media_type,
        media_type=new.media_type,
        size=new.blob.size,
        sha256=new.blob.sha256,
        storage_key=new.blob.key,
        status=IngestStatus.queued.value,
        duplicate_of=store.material_with_sha256(new.blob.sha256, exclude_material=exclude_material),
        derivatives=[],
    )


def clean_filename(name: str) -> str:
    # Browsers may send a path ("C:\\fakepath\\x.pdf"); keep the last component only.
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch >= " " and ch != "\x7f")
    if not base or base in {".", ".."}:
        raise ValidationFailed("each file needs a file name")
    return base[:255]


class MaterialService:
    def create(
        self,
        session: Session,
        actor: User,
        *,
        metadata: dict[str, Any],
        files: list[NewFile],
        state: WorkflowState = WorkflowState.draft,
        ip: str | None = None,
        organisation: Organisation | None = None,
    ) -> Material:
        """Create a material from stored uploads and queue their ingest.

        ``organisation`` is its contributing organisation, already checked by
        ``organisations.for_material`` (the actor belongs to it).

        Raises:
            PermissionDenied: the actor may not upload, or may not publish directly.
            ValidationFailed: no files, too many files.
            MetadataInvalid: the metadata does not validate.
        """
        if not has_role(actor, Role.teacher):
            raise PermissionDenied("only teachers, curators and admins can upload materials")
        if state is WorkflowState.approved and not has_role(actor, Role.admin):
            raise PermissionDenied("only an admin can publish materials directly")
        if not files:
            raise ValidationFailed("a material needs at least one file (multipart part named 'file')")
        if len(files) > MAX_FILES_PER_MATERIAL:
            raise ValidationFailed(f"at most {MAX_FILES_PER_MATERIAL} files per material")

        doc = dict(metadata)
        if not str(doc.get("title", "")).strip():
            doc["title"] = metadata_title_from_filename(clean_filename(files[0].filename))
        doc = validate_metadata(doc)

        store = MaterialStore.from_session(session)
        material = Material(
            meta=doc,
            schema=doc["$schema"],
            title=doc["title"],
            state=state.value,
            owner=actor,
            organisation_id=organisation.id if organisation is not None else None,
            files=[],
        )
        for position, new in enumerate(files):
            material.files.append(file_row(store, new, position=position))
        store.add(material)
        for f in material.files:
            ingest_job(session, f.id)
        index_job(session, material.id)
        audit.record(
            session,
            actor=actor,
            action="material.created",
            subject_type="material",
            subject_id=material.id,
            data={
                "state": material.state,
                "files": [f.sha256 for f in material.files],
                **({"organisation": organisation.slug} if organisation is not None else {}),
            },
            ip=ip,
        )
        return material

    def set_organisation(
        self, session: Session, actor: User, material_id: str, slug: str | None, *, ip: str | None = None
    ) -> Material:
        """Name (or clear, with None) the organisation that contributes a material.

        The owner may, while the material is not under review or published (a change of publisher
        is a change a curator sees), and only for an organisation they belong to; admins always.

        Raises:
            NotFound: no such material for the actor, or no such organisation.
            PermissionDenied: not the owner or an admin, or not a member of the organisation.
            Conflict: the material is submitted or published (owners only).
        """
        from repository.organisation.service import organisations

        found = self.get(session, actor, material_id)
        is_admin = has_role(actor, Role.admin)
        if not is_admin and found.owner_id != actor.id:
            raise PermissionDenied("only the owner of a material or an admin names its organisation")
        if not is_admin and found.state in (WorkflowState.submitted, WorkflowState.approved):
            raise Conflict(
                f"the material is {found.state}: withdraw it first, "
                "or ask an admin to change its organisation"
            )
        org = organisations.for_material(session, actor, slug) if slug is not None else None
        before = found.organisation_id
        found.organisation_id = org.id if org is not None else None
        session.flush()
        if before != found.organisation_id:
            index_job(session, found.id)
            audit.record(
                session,
                actor=actor,
                action="material.organisation_changed",
                subject_type="material",
                subject_id=found.id,
                data={"organisation": org.slug if org is not None else None},
                ip=ip,
            )
        return found

    def get(self, session: Session, actor: User | None, material_id: str) -> Material:
        """The material with the files ``actor`` may read (see :meth:`restrict_files`)."""
        material = MaterialStore.from_session(session).get_visible(material_id, actor)
        if material is None:
            # 404 for both "absent" and "not yours to see": existence is not disclosed.
            raise NotFound(f"no material with id {material_id!r}")
        return self.restrict_files(session, actor, material)

    def restrict_files(self, session: Session, actor: User | None, material: Material) -> Material:
        """Keep in ``material.files`` only what ``actor`` may read.

        Files added to a new version of an approved material stay private (owner, curators in
        scope, admins) until that version is approved; everybody else sees the live version's
        files. The loaded collection is replaced as if loaded that way, so nothing is deleted.
        """
        visible = self.visible_file_ids(session, actor, material)
        if len(visible) < len(material.files):
            set_committed_value(material, "files", [f for f in material.files if f.id in visible])
        return material

    def shows_failure_details(self, session: Session, actor: User | None, material: Material) -> bool:
        """May ``actor`` read why this material's files failed in the uploader's terms?

        The owner, curators in scope and admins may; everybody else gets the fixed public
        explanation (:mod:`repository.material.failures`).
        """
        del session  # the rule needs only the actor and the material's metadata
        return privileged(actor, material)

    def visible_file_ids(self, session: Session, actor: User | None, material: Material) -> set[str]:
        """Which of the material's files ``actor`` may see (:func:`visibility.visible_file_ids`).

        Callers serving files to readers (material page, downloads, search documents, exports)
        filter with this.
        """
        versions = MaterialStore.from_session(session).versions(material.id)
        return visible_file_ids(actor, material, versions)

    def list(
        self,
        session: Session,
        actor: User | None,
        *,
        page: int,
        size: int,
        state: WorkflowState | None = None,
        mine: bool = False,
    ) -> tuple[list[Material], int]:
        items, total = MaterialStore.from_session(session).list_visible(
            actor,
            offset=(page - 1) * size,
            limit=size,
            state=state.value if state else None,
            owner_id=actor.id if (mine and actor) else None,
        )
        return [self.restrict_files(session, actor, m) for m in items], total

    def get_file(self, session: Session, actor: User | None, material_id: str, file_id: str) -> MaterialFile:
        material = self.get(session, actor, material_id)
        f = MaterialStore.from_session(session).file_in(material_id, file_id)
        if f is None or not (
            any(v.id == file_id for v in material.files) or self._in_approved_version(session, f)
        ):
            raise NotFound(f"material {material_id!r} has no file {file_id!r}")
        return f

    def _in_approved_version(self, session: Session, f: MaterialFile) -> bool:
        """Files of an older approved version stay downloadable: the record of what was approved."""
        return in_approved_version(f.id, MaterialStore.from_session(session).versions(f.material_id))

    def get_derivative(
        self, session: Session, actor: User | None, material_id: str, file_id: str, derivative_id: str
    ) -> tuple[MaterialFile, Any]:
        f = self.get_file(session, actor, material_id, file_id)
        d = MaterialStore.from_session(session).derivative_in(file_id, derivative_id)
        if d is None:
            raise NotFound(f"file {file_id!r} has no derivative {derivative_id!r}")
        return f, d

    def public_content(self, session: Session, sha256: str) -> PublicContent | None:
        """The public (approved) file or derivative with these bytes, for content-addressed URLs."""
        candidates = MaterialStore.from_session(session).content_candidates(sha256)
        # The first one in the live (or an approved) version of its material.
        found = next((c for c in candidates if self.is_public_file(session, c[4], c[5])), None)
        if found is None:
            return None
        key, media_type, filename, kind, _material_id, _file_id = found
        if kind != "original":
            stem = filename.rsplit(".", 1)[0]
            ext = extension_for(media_type) or ""
            filename = f"{stem}-{kind}{ext}"
        return PublicContent(storage_key=key, media_type=media_type, filename=filename)

    def is_public_file(self, session: Session, material_id: str, file_id: str) -> bool:
        """Whether an anonymous visitor may read this file: the material is approved and the file
        belongs to its live version (or to an older approved one, the record of what was approved).

        What is public may be cached by anyone; everything else (drafts, submissions, files of a
        version in progress, withdrawn material) is private to the people allowed to see it.
        """
        material = MaterialStore.from_session(session).get_visible(material_id, None)
        if material is None or material.state != WorkflowState.approved:
            return False
        if file_id in self.visible_file_ids(session, None, material):
            return True
        f = MaterialStore.from_session(session).file_in(material_id, file_id)
        return f is not None and self._in_approved_version(session, f)

    def record_restricted_download(
        self, session: Session, actor: User | None, material_id: str, file_id: str, *, ip: str | None
    ) -> None:
        audit.record(
            session,
            actor=actor,
            action="material.restricted_download",
            subject_type="material",
            subject_id=material_id,
            data={"file_id": file_id},
            ip=ip,
        )

    def content_file(
        self, session: Session, material_id: str, file_id: str, path: str, *, granted: bool
    ) -> tuple[MaterialFile, Any]:
        """What the content origin plays: a file of a package (``path`` inside it) or, with an
        empty ``path``, the original of an HTML lesson. Returns ``(file, derivative or None)``.

        No user is involved: the content origin never sees a session. It serves public files
        (:meth:`is_public_file`), or any file of the material when ``granted`` (a valid signed URL
        the portal gave someone allowed to see it).

        Raises:
            NotFound: not public and not granted, or no such file in the package.
        """
        if not granted and not self.is_public_file(session, material_id, file_id):
            raise NotFound(f"material {material_id!r} has no public file {file_id!r}")
        store = MaterialStore.from_session(session)
        f = store.file_in(material_id, file_id)
        if f is None:
            raise NotFound(f"material {material_id!r} has no file {file_id!r}")
        if not path:
            if f.media_type not in PLAYABLE_DOCUMENTS:
                raise NotFound(f"file {file_id!r} is not an HTML lesson")
            return f, None
        d = store.package_file(file_id, path)
        if d is None:
            raise NotFound(f"file {file_id!r} has no package file {path!r}")
        return f, d

    def get_hls(self, session: Session, actor: User | None, material_id: str, file_id: str, path: str) -> Any:
        self.get_file(session, actor, material_id, file_id)
        d = MaterialStore.from_session(session).hls_file(file_id, path)
        if d is None:
            raise NotFound(f"no HLS file {path!r} for file {file_id!r}")
        return d


material = MaterialService()


def create_from_path(
    runtime_blobs: Any,
    session: Session,
    actor: User,
    path: Any,
    *,
    metadata: dict[str, Any],
    state: WorkflowState = WorkflowState.draft,
    organisation: Organisation | None = None,
) -> tuple[Material, bool]:
    """Import one file from disk as a material (CLI ``import`` and ``demo``).

    Returns ``(material, created)``; an identical file already imported is not imported again
    (``created`` is False and the existing material is returned).
    """
    from repository.mediatypes import guess_from_name, sniff

    blob = runtime_blobs.put_file(path)
    store = MaterialStore.from_session(session)
    existing = store.material_with_sha256(blob.sha256)
    if existing is not None:
        found = store.get_full(existing)
        if found is not None:
            return found, False
    new = NewFile(
        filename=path.name,
        blob=blob,
        media_type=sniff(path, path.name),
        declared_media_type=guess_from_name(path.name),
    )
    created = material.create(
        session, actor, metadata=metadata, files=[new], state=state, organisation=organisation
    )
    return created, True
