"""What a processor made: one :class:`DerivativeOut` per derivative file written to the output directory.

Processors are pure functions over a file on disk; they write into an output directory the caller
owns and describe each file with a ``DerivativeOut``. The job layer stores these as the file's
``derivatives`` (API shape in issue 3) and serves ``path`` under a download URL::

    DerivativeOut(kind="thumbnail", path=out / "thumb-160.webp", media_type="image/webp",
                  width=160, height=90, label="small")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

__all__ = ["KINDS", "DerivativeKind", "DerivativeOut", "Outcome"]

DerivativeKind = Literal["thumbnail", "preview", "rendition", "poster", "hls", "pdf", "package"]
KINDS: frozenset[str] = frozenset(get_args(DerivativeKind))


@dataclass(frozen=True)
class DerivativeOut:
    """One derivative file a processor wrote.

    Attributes:
        kind: ``thumbnail`` (small browse image), ``preview`` (one page image), ``rendition``
            (a transcoded MP4/M4A), ``poster`` (a video's representative frame), ``hls`` (the
            master playlist of an HLS ladder; its variants and segments sit beside it), ``pdf``
            (a PDF rendition of an Office document), ``package`` (one unpacked file of a SCORM/HTML5
            package; label = its path inside the package).
        path: where the file is (inside the output directory the caller passed).
        media_type: its MIME type, e.g. ``image/webp``, ``video/mp4``,
            ``application/vnd.apple.mpegurl``.
        width, height: pixel size, for images and video.
        duration: seconds, for audio and video.
        page: 1-based page number for PDF page previews and thumbnails.
        label: a short distinguishing name (``small``/``large`` for thumbnail sizes, ``360p``/``720p``
            for renditions) so re-runs produce the same set and the portal can pick one.
    """

    kind: DerivativeKind
    path: Path
    media_type: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    page: int | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        # A typo'd kind would only surface later as an API value nobody handles.
        if self.kind not in KINDS:
            raise ValueError(f"unknown derivative kind {self.kind!r}")

    @property
    def size(self) -> int:
        """Size of the file in bytes (for ``hls``, of the master playlist only)."""
        return self.path.stat().st_size


@dataclass
class Outcome:
    """Everything the processing of one file found and made, before anything is stored.

    Processors (``ingest.processors.registry``) fill it in; ``ingest.pipeline`` hands it to the
    repository service that records an ingest's result.
    """

    media_type: str
    derivatives: list[DerivativeOut] = field(default_factory=list)
    text: str = ""
    pages: list[tuple[int, str]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Similarity hashes by kind ("text", "image") for near-duplicate detection.
    fingerprints: dict[str, int] = field(default_factory=dict)
    # Page previews (and an Office file's PDF rendition) are still to be made, by render_pages.
    pages_pending: bool = False
    # What the text means, for search (``search.semantic.encode``d), when the encoder is there.
    vector: bytes | None = None
