"""Thin job functions: ids in, a unit of work per step, the real work in ``ingest.pipeline``."""

from __future__ import annotations

from repository.jobs import gives_up_with
from repository.runtime import get_runtime


def _file_gave_up(reason: str, file_id: str) -> None:
    from ingest.pipeline import FileIngest

    FileIngest(get_runtime(), file_id).give_up(reason)


def _pages_gave_up(reason: str, file_id: str) -> None:
    from ingest.pipeline import PageRender

    PageRender(get_runtime(), file_id).give_up(reason)


@gives_up_with(_file_gave_up)
def process_file(file_id: str) -> None:
    """Ingest one uploaded file (idempotent; safe to re-run after a crash)."""
    from ingest.pipeline import FileIngest

    FileIngest(get_runtime(), file_id).run()


@gives_up_with(_pages_gave_up)
def render_pages(file_id: str) -> None:
    """Page previews (and an Office file's PDF rendition) for a file already ingested."""
    from ingest.pipeline import PageRender

    PageRender(get_runtime(), file_id).run()
