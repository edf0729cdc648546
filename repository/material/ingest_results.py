"""What the ingest of a file records: its processing state, what was made from it, and what it
changes on its material.

``ingest.pipeline`` does the processing (pure, no database) and calls this service in short units
of work of its own: :meth:`IngestResults.begin` → :meth:`~IngestResults.progress` … →
:meth:`~IngestResults.finish` or :meth:`~IngestResults.fail`, then, for paged documents,
:meth:`~IngestResults.pages_source` → :meth:`~IngestResults.record_pages`. Nothing here commits.

A title found in the document replaces a title that was only derived from the file name. That
is a metadata change like any other, so it goes the way every edit goes: into the working
version's metadata (which the ``materials`` row of a draft follows), with a ``material.edited``
audit entry naming the system account as the actor and ``ingest`` as the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository import jobs
from repository.material import failures, similarity
from repository.material.service import index_job
from repository.material.store import IngestStore
from repository.models import Derivative, IngestStatus, MaterialFile
from repository.storage import BlobInfo
from repository.text import database_safe

__all__ = ["IngestJob", "IngestResult", "IngestResults", "NewDerivative", "ingest_results"]


@dataclass(frozen=True)
class IngestJob:
    """What the processing of a file needs to know, read when its run begins."""

    file_id: str
    material_id: str
    storage_key: str
    filename: str
    declared_media_type: str | None
    media_type: str
    #: This run's number (1 for the first); the caller stops retrying after a few.
    attempts: int


@dataclass(frozen=True)
class NewDerivative:
    """A derivative already written to the blob store."""

    kind: str
    blob: BlobInfo
    media_type: str
    label: str = ""
    page: int = 0
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    def row(self) -> Derivative:
        return Derivative(
            kind=self.kind,
            label=self.label,
            page=self.page,
            media_type=self.media_type,
            size=self.blob.size,
            sha256=self.blob.sha256,
            storage_key=self.blob.key,
            width=self.width,
            height=self.height,
            duration=self.duration,
        )


@dataclass
class IngestResult:
    """The result of processing one file, its derivatives already stored."""

    media_type: str
    derivatives: list[NewDerivative] = field(default_factory=list)
    #: Merged into the file's ``info`` (detected type, timings, document metadata...).
    info: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    #: Similarity hashes by kind ("text", "image") for near-duplicate detection.
    fingerprints: dict[str, int] = field(default_factory=dict)
    #: Page previews (and an Office file's PDF rendition) are to be made by ``render_pages``.
    pages_pending: bool = False


# Everything ingest makes is replaced by a re-run; captions a person uploaded stay.
_KEPT_ON_RERUN = ("caption",)


class IngestResults:
    # -- a run's state ---------------------------------------------------------------------

    def begin(self, session: Session, file_id: str, *, force: bool = False) -> IngestJob | None:
        """Mark the file ``processing`` and count the attempt.

        Returns None when there is nothing to do: the file is gone, or already ``ready`` or
        ``failed`` and ``force`` is not set.
        """
        f = IngestStore.from_session(session).get(file_id)
        if f is None:
            return None
        if f.status in (IngestStatus.ready, IngestStatus.failed) and not force:
            return None
        attempts = int((f.info or {}).get("attempts", 0)) + 1
        f.status = IngestStatus.processing.value
        f.progress = 0.0
        f.error = None
        f.info = {**(f.info or {}), "attempts": attempts}
        return IngestJob(
            file_id=f.id,
            material_id=f.material_id,
            storage_key=f.storage_key,
            filename=f.filename,
            declared_media_type=f.declared_media_type,
            media_type=f.media_type,
            attempts=attempts,
        )

    def progress(self, session: Session, file_id: str, fraction: float) -> None:
        """Record how far a file still ``processing`` is (clamped to 0..1)."""
        f = IngestStore.from_session(session).get(file_id)
        if f is not None and f.status == IngestStatus.processing:
            f.progress = round(max(0.0, min(1.0, fraction)), 3)

    def unfinished(self, session: Session, file_id: str) -> bool:
        """Whether the file exists and is neither ``ready`` nor ``failed``."""
        f = IngestStore.from_session(session).get(file_id)
        return f is not None and f.status not in (IngestStatus.ready, IngestStatus.failed)

    def fail(self, session: Session, file_id: str, reason: str, *, retry: bool, server: bool = False) -> None:
        """Record a failure: ``reason`` for the owner and curators, a fixed public category
        (:mod:`repository.material.failures`) for everybody else; ``server`` when the fault was
        the server's (retries exhausted on a transient failure, an unexpected error). With
        ``retry`` the file goes back to ``queued`` for the next try."""
        f = IngestStore.from_session(session).get(file_id)
        if f is None:
            return
        f.status = (IngestStatus.queued if retry else IngestStatus.failed).value
        f.error = None if retry else reason
        f.progress = None
        info = {**(f.info or {}), "last_error": reason}
        if retry:
            info.pop("failure", None)
        else:
            info["failure"] = failures.classify(reason, server=server).value
        f.info = info
        if not retry:
            index_job(session, f.material_id)

    # -- results ---------------------------------------------------------------------------

    def finish(self, session: Session, file_id: str, result: IngestResult) -> None:
        """Store what processing made and mark the file ``ready``.

        Replaces the derivatives of an earlier run (captions stay), records fingerprints and
        flags a near-duplicate of another material's file, queues re-indexing and, when
        ``result.pages_pending``, the page-preview job. (The document's own title is
        :func:`repository.curation.versions.title_from_document`'s: it is an edit of a version.)
        """
        store = IngestStore.from_session(session)
        f = store.get(file_id)
        if f is None:
            return
        store.remove_derivatives(f.id, keep=_KEPT_ON_RERUN)
        store.add_derivatives(f.id, (d.row() for d in result.derivatives))
        f.media_type = result.media_type
        f.status = IngestStatus.ready.value
        f.progress = 1.0
        f.error = None
        f.suggestions = result.suggestions
        # What tools read out of the file (document properties, a package's title) is the
        # uploader's to write: NUL and lone surrogates are dropped, not stored.
        f.info = {**(f.info or {}), **database_safe(result.info), "notes": database_safe(result.notes)}
        self._near_duplicates(session, f, result.fingerprints)
        index_job(session, f.material_id)
        if result.pages_pending:
            f.info = {**f.info, "pages": "pending"}
            jobs.enqueue(session, "ingest.tasks.render_pages", key=f"pages:file:{f.id}", file_id=f.id)

    def pages_source(self, session: Session, file_id: str) -> tuple[str, str] | None:
        """``(storage key, media type)`` of a ``ready`` file whose pages are to be rendered."""
        f = IngestStore.from_session(session).get(file_id)
        if f is None or f.status != IngestStatus.ready:
            return None
        return f.storage_key, f.media_type

    def record_pages(
        self, session: Session, file_id: str, state: str, derivatives: list[NewDerivative]
    ) -> None:
        """Record the page-preview step: ``state`` in ``info["pages"]``; ``derivatives`` replace
        the file's derivatives of the same kinds (a re-run makes the same set again)."""
        store = IngestStore.from_session(session)
        f = store.get(file_id)
        if f is None:
            return
        kinds = {d.kind for d in derivatives}
        if kinds:
            store.remove_derivatives(f.id, kinds=kinds)
            store.add_derivatives(f.id, (d.row() for d in derivatives))
        f.info = {**(f.info or {}), "pages": state}
        if kinds:
            index_job(session, f.material_id)  # the thumbnail URL may have changed

    def without_vector(self, session: Session, model: str) -> list[tuple[str, str]]:
        """``(file_id, storage key of its text)`` of every file with a text and no vector of
        ``model`` (``repository.vectors``): files ingested before vectors, or under another model."""
        has_vector = select(Derivative.file_id).where(Derivative.kind == "vector", Derivative.label == model)
        rows = session.execute(
            select(Derivative.file_id, Derivative.storage_key)
            .where(Derivative.kind == "text", Derivative.label == "", Derivative.file_id.not_in(has_vector))
            .order_by(Derivative.file_id)
        )
        return [(file_id, key) for file_id, key in rows]

    def record_vector(self, session: Session, file_id: str, derivative: NewDerivative) -> None:
        """Keep a file's vector (replacing the one it had) and index its material again."""
        store = IngestStore.from_session(session)
        f = store.get(file_id)
        if f is None:
            return
        store.remove_derivatives(f.id, kinds={"vector"})
        store.add_derivatives(f.id, [derivative.row()])
        index_job(session, f.material_id)

    # -- what a result changes beyond the file ---------------------------------------------

    def _near_duplicates(self, session: Session, f: MaterialFile, fingerprints: dict[str, int]) -> None:
        """Record fingerprints and flag the file when another material's file is nearly the same."""
        best = None
        for kind, value in fingerprints.items():
            similarity.record(session, f.id, kind, value)
            found = similarity.nearest(session, f.id, kind, value, exclude_material=f.material_id)
            if found is not None and (best is None or found.distance < best.distance):
                best = found
        if best is not None:
            f.info = {
                **f.info,
                "near_duplicate": {
                    "material_id": best.material_id,
                    "file_id": best.file_id,
                    "kind": best.kind,
                    "distance": best.distance,
                },
            }
            if f.duplicate_of is None:
                f.duplicate_of = best.material_id


ingest_results = IngestResults()
