"""Thin job functions: ids in, a unit of work per step, the real work in ``ingest.pipeline``."""

from __future__ import annotations

from repository.runtime import get_runtime


def process_file(file_id: str) -> None:
    """Ingest one uploaded file (idempotent; safe to re-run after a crash)."""
    from ingest.pipeline import FileIngest

    FileIngest(get_runtime(), file_id).run()


def render_pages(file_id: str) -> None:
    """Page previews (and an Office file's PDF rendition) for a file already ingested."""
    from ingest.pipeline import PageRender

    PageRender(get_runtime(), file_id).run()
