"""Pure processing functions over a file on disk: type detection, text, thumbnails, renditions.

Nothing here touches the database or the queue. ``ingest.pipeline`` picks the processor
registered for a file's type (:mod:`ingest.processors.registry`; the built-in ones are in
:mod:`ingest.processors.builtin`) and ``repository.material.ingest_results`` records the results.
Every heavy step runs through :mod:`ingest.processors.sandbox` with time and memory limits and
fails with :class:`~ingest.processors.sandbox.ProcessingFailed` carrying a reason a person can
read.
"""
