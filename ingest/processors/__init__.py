"""Pure processing functions over a file on disk: type detection, text, thumbnails, renditions.

Nothing here touches the database or the queue; ``ingest.tasks`` calls these and records the
results. Every heavy step runs through :mod:`ingest.processors.sandbox` with time and memory
limits and fails with :class:`~ingest.processors.sandbox.ProcessingFailed` carrying a reason a
person can read.
"""
