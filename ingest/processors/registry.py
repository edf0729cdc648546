"""Which processor handles which media type: a file type is one processor module + one registration.

A :class:`Processor` declares everything the rest of the system needs to know about the types it
handles, in one place (Pillow's ``Image.register_open`` is the model: the plugin says what it
accepts, the core never lists formats):

* ``handles``: the media types it processes (exact types, ``"video/"``-style families, or
  :data:`ANY` for the fallback); ``ingest.pipeline.process_path`` dispatches through
  :func:`processor_for`.
* ``media_types``: rows for types new to the repository (extensions, the label of a placeholder
  thumbnail). Registering adds them to the repository's media-type table
  (:mod:`repository.mediatypes`), which upload sniffing, download names and placeholders read.
  The table lives in ``repository`` because processes that never ingest need it too and the core
  imports nothing of ours; the processors register *behaviour* against it from here.
* ``signatures``: content hints for :func:`ingest.processors.detect.detect_media_type` (leading
  magic bytes, or a member that marks a zip). The built-in formats are recognised by the
  container inspection in ``detect`` itself; a new format brings its own hint here.
* ``process(path, workdir, outcome, context)``: the work, pure with respect to the database.
* ``pdf_rendition``: for paged documents that are not PDFs, how ``render_pages`` gets a PDF.

The built-in processors are registered in :mod:`ingest.processors.builtin`, loaded on first use.

Example (a new type, nothing else to edit)::

    register(Processor(
        name="geogebra",
        handles=("application/vnd.geogebra.file",),
        media_types=(MediaType("application/vnd.geogebra.file", (".ggb",), label="GeoGebra"),),
        signatures=(Signature("application/vnd.geogebra.file", zip_member="geogebra.xml"),),
        process=process_geogebra,
    ))
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ingest.processors.outputs import DerivativeOut, Outcome
from repository import mediatypes
from repository.mediatypes import MediaType

__all__ = [
    "ANY",
    "Context",
    "MediaType",
    "Processor",
    "Signature",
    "processor_for",
    "register",
    "signatures",
    "unregister",
]

#: ``handles`` value of the processor used when no other one handles a type.
ANY = "*"
BUILTIN = "ingest.processors.builtin"


@dataclass(frozen=True)
class Context:
    """What a processor gets besides the file: progress reporting, a timed ``step`` runner
    (``step("text", fn, *args)`` adds the seconds to ``outcome.info["timings"]["text"]``) and the
    optional Tika server."""

    progress: Callable[[float], None]
    step: Callable[..., None]
    tika_url: str | None = None


class ProcessFn(Protocol):
    def __call__(self, path: Path, workdir: Path, outcome: Outcome, context: Context) -> None: ...


@dataclass(frozen=True)
class Signature:
    """A content hint: a file starting with ``magic``, or a zip holding ``zip_member``, is of
    ``media_type``."""

    media_type: str
    magic: bytes | None = None
    zip_member: str | None = None


@dataclass(frozen=True)
class Processor:
    """One file-type plugin: what it handles and how (each field is described in the module
    docstring). ``name`` is unique and names it in logs and tests."""

    name: str
    handles: tuple[str, ...]
    process: ProcessFn
    media_types: tuple[MediaType, ...] = ()
    signatures: tuple[Signature, ...] = ()
    #: ``(source, outdir, media_type) -> DerivativeOut | None`` (None: the tool is missing).
    pdf_rendition: Callable[[Path, Path, str], DerivativeOut | None] | None = None


_PROCESSORS: dict[str, Processor] = {}
# The media types each processor added to the repository's table (removed with it).
_ADDED_TYPES: dict[str, list[str]] = {}
_loaded: set[str] = set()


def _load_builtin() -> None:
    if BUILTIN not in _loaded:
        _loaded.add(BUILTIN)  # first: the module registers through this one while loading
        importlib.import_module(BUILTIN)


def register(processor: Processor) -> Processor:
    """Register a processor (and the new media types it declares). Returns it.

    Registering a processor under a name already taken replaces that processor.

    Raises:
        ValueError: another processor already handles one of its types; one of its media types
            is already in the repository's table with other facts; or one of their extensions
            already names another type. Nothing is registered then.
    """
    for other in _PROCESSORS.values():
        if other.name != processor.name and (shared := set(other.handles) & set(processor.handles)):
            raise ValueError(f"{sorted(shared)} already handled by processor {other.name!r}")
    unregister(processor.name)
    added: list[str] = []
    try:
        for row in processor.media_types:
            known = mediatypes.lookup(row.name)
            if known == row:
                continue  # declared by the repository (or another processor) already: the same facts
            if known is not None:
                raise ValueError(f"{row.name!r} is already in the media-type table as {known!r}")
            mediatypes.register(row)
            added.append(row.name)
    except ValueError:
        for name in added:
            mediatypes.unregister(name)
        raise
    _PROCESSORS[processor.name] = processor
    _ADDED_TYPES[processor.name] = added
    return processor


def unregister(name: str) -> None:
    """Remove a processor and the media types it added (tests that registered their own)."""
    if _PROCESSORS.pop(name, None) is not None:
        for type_name in _ADDED_TYPES.pop(name, []):
            mediatypes.unregister(type_name)


def processor_for(media_type: str) -> Processor:
    """The processor for a type: the one naming it exactly, else its family's, else the fallback."""
    _load_builtin()
    family = media_type.split("/", 1)[0] + "/"
    for key in (media_type, family, ANY):
        for p in _PROCESSORS.values():
            if key in p.handles:
                return p
    raise LookupError(f"no processor for {media_type!r} and no fallback registered")


def signatures() -> list[Signature]:
    """Every registered content hint, in registration order."""
    _load_builtin()
    return [s for p in _PROCESSORS.values() for s in p.signatures]
