"""A long-lived child process that serves many isolated calls: warm libraries, same limits.

:func:`~ingest.processors.sandbox.run_isolated` starts a fresh child per call. That is the
right default for one-offs, but text extraction pays for it on every document: a forkserver
child (~30 ms), importing ``iscc_tika`` and booting its GraalVM native image (~100-250 ms),
before the first byte is parsed. At the issue's target of 10 documents/s on 2 cores there is
no room for that. A :class:`WorkerProcess` keeps one child alive and sends it requests over a
pipe, so module-level caches in the child (a warm ``iscc_tika.Extractor``, an imported pdfium)
survive from one document to the next, while keeping ``run_isolated``'s guarantees:

* **wall-clock limit per call**: a call that does not answer in ``timeout_s`` gets the child's
  whole process group SIGKILLed; the next call starts a new child;
* **memory limit**: ``RLIMIT_DATA`` is set in the child when it starts (see
  ``sandbox.MEMORY_RLIMIT`` for why not ``RLIMIT_AS``); a child killed by the kernel or dying
  in native code is restarted on the next call;
* **crash isolation**: a crash (a signal, an unexpected exit) becomes a
  :class:`~ingest.processors.sandbox.ProcessingFailed` with a reason a person can read;
* **recycling**: after ``max_calls`` calls, or when the child's resident memory exceeds
  ``max_rss_mb`` after a call (leaks in native parsers accumulate), the child is retired
  cleanly and a fresh one serves the next call.

Usage::

    pool = worker_process("tika", memory_mb=2048)
    result = pool.call(_tika_child, path, max_chars, timeout_s=120, label="text extraction")

Calls on one :class:`WorkerProcess` are serialised (one child, one request at a time); an ingest
worker process handles one file at a time anyway, and separate worker processes each get their
own child. After ``os.fork()`` (RQ's default worker forks a work horse per job) the inherited
handle is dropped and the forked process starts its own child.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing.connection
import os
import threading
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from ingest.processors.sandbox import (
    ProcessingFailed,
    _crash,
    _kill_group,
    _limit_memory,
    _mp_context,
    child_reply,
)
from repository.processes import die_with_parent

__all__ = ["WorkerProcess", "close_all", "worker_process"]

log = logging.getLogger(__name__)

R = TypeVar("R")

DEFAULT_MAX_CALLS = 500
DEFAULT_MAX_RSS_MB = 1024
# A child gets this long to start (interpreter from the forkserver plus its imports) on top of
# the first call's own limit: a cold start must not be charged to the document.
START_GRACE_S = 10.0


def _rss_bytes() -> int:
    """Current resident set size of this process (not the peak, which never goes down)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _serve(conn: multiprocessing.connection.Connection, memory_mb: int | None) -> None:
    """The child's loop: one request in, one reply out, until told to stop or the parent goes."""
    # Own process group, so a timeout also kills any tool a call started.
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    die_with_parent()  # the worker died (its forkserver exits with it): stop at once, mid-call too
    _limit_memory(memory_mb)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if request is None:
            return
        func, args, kwargs = request
        try:
            result = func(*args, **kwargs)
        except ProcessingFailed as exc:
            reply: tuple[str, Any] = ("failed", exc)
        except MemoryError:
            reply = ("memory", None)
        except BaseException as exc:  # everything must reach the parent as a reason
            reply = ("error", (type(exc).__name__, str(exc)[:2000], traceback.format_exc()[-8000:]))
        else:
            reply = ("ok", result)
        try:
            conn.send((*reply, _rss_bytes()))
        except MemoryError:
            conn.send(("memory", None, _rss_bytes()))
        except (BrokenPipeError, OSError):
            return
        if reply[0] in ("memory", "error"):
            # The library's state after an unexpected error or an allocation failure is not
            # to be trusted with the next document.
            return


class WorkerProcess:
    """One persistent child process that runs picklable functions with limits.

    Args:
        name: what the child is for, for logs (``"tika"``).
        memory_mb: ``RLIMIT_DATA`` for the child, or None for none.
        max_calls: retire the child after this many calls.
        max_rss_mb: retire the child when its resident memory exceeds this after a call.
    """

    def __init__(
        self,
        name: str,
        *,
        memory_mb: int | None,
        max_calls: int = DEFAULT_MAX_CALLS,
        max_rss_mb: int = DEFAULT_MAX_RSS_MB,
    ) -> None:
        self.name = name
        self.memory_mb = memory_mb
        self.max_calls = max_calls
        self.max_rss_mb = max_rss_mb
        self._lock = threading.Lock()
        self._proc: Any = None
        self._conn: multiprocessing.connection.Connection | None = None
        self._owner_pid = os.getpid()
        self._calls = 0
        self._fresh = False
        # Observability for tests and benchmarks.
        self.started = 0
        self.last_rss_mb = 0.0

    @property
    def pid(self) -> int | None:
        """The current child's pid, or None when no child is running."""
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    def call(
        self, func: Callable[..., R], *args: Any, timeout_s: float, label: str | None = None, **kwargs: Any
    ) -> R:
        """Run ``func(*args, **kwargs)`` in the child and return its result.

        Args:
            func: a picklable module-level function; arguments and result must pickle too.
            timeout_s: wall-clock limit for this call (a child's cold start gets extra time).
            label: what is being done, for reasons; defaults to the function name.

        Raises:
            ProcessingFailed: on timeout, memory exhaustion, a crash, or an exception in the
                child; a ``ProcessingFailed`` raised by ``func`` comes through unchanged.
        """
        what = label or func.__name__.strip("_").replace("_", " ")
        with self._lock:
            if os.getpid() != self._owner_pid:
                # Forked: the child and the pipe belong to the parent process; never touch them.
                self._proc, self._conn, self._calls = None, None, 0
                self._owner_pid = os.getpid()
            if self._proc is None or not self._proc.is_alive():
                self._start()
            assert self._conn is not None
            try:
                self._conn.send((func, args, kwargs))
            except (BrokenPipeError, OSError):
                # The child died while idle (killed from outside, OOM killer): not this
                # document's fault, so start a new one and send the request again.
                self._reap()
                self._start()
                assert self._conn is not None
                self._conn.send((func, args, kwargs))
            limit = timeout_s + (START_GRACE_S if self._fresh else 0.0)
            self._fresh = False
            if not self._conn.poll(limit):
                self._kill()
                raise ProcessingFailed(f"{what} took longer than {timeout_s:g} s")
            try:
                kind, payload, rss = self._conn.recv()
            except (EOFError, OSError):
                self._died(what)
            self._calls += 1
            self.last_rss_mb = rss / (1024 * 1024)
            if kind in ("memory", "error"):
                self._reap()  # the child exits by itself after these (see _serve)
            elif self._calls >= self.max_calls or self.last_rss_mb > self.max_rss_mb:
                log.info(
                    "ingest.pool.recycle name=%s calls=%s rss_mb=%.0f",
                    self.name,
                    self._calls,
                    self.last_rss_mb,
                )
                self._retire()
        return child_reply(what, kind, payload, self.memory_mb)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the child (politely, then by force). The next call starts a new one."""
        with self._lock:
            if os.getpid() == self._owner_pid:
                self._retire()
            else:
                self._proc, self._conn = None, None

    # -- internals (called with the lock held) ------------------------------------------------

    def _start(self) -> None:
        ctx = _mp_context()
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        proc = ctx.Process(  # type: ignore[attr-defined]
            target=_serve, args=(child_conn, self.memory_mb), daemon=True, name=f"hoclieu-{self.name}"
        )
        proc.start()
        child_conn.close()  # so a dead child shows up as EOF on our end
        self._proc, self._conn, self._calls, self._fresh = proc, parent_conn, 0, True
        self.started += 1
        log.debug("ingest.pool.started name=%s pid=%s", self.name, proc.pid)

    def _died(self, what: str) -> NoReturn:
        """The child vanished mid-call: reap it and explain."""
        proc = self._proc
        self._reap()
        code = proc.exitcode if proc is not None else None
        if code is not None and code < 0:
            raise _crash(what, -code, self.memory_mb, f"exit signal {-code}")
        raise ProcessingFailed(f"{what} exited unexpectedly (exit code {code})", transient=True)

    def _reap(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc, self._conn = None, None
        if conn is not None:
            conn.close()
        if proc is not None:
            proc.join(5)
            if proc.is_alive():
                _kill_group(proc.pid)
                proc.join(5)
            _kill_group(proc.pid)  # tools the child started must not outlive it

    def _kill(self) -> None:
        if self._proc is not None:
            _kill_group(self._proc.pid)
        self._reap()

    def _retire(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
        self._reap()


_pools: dict[tuple[str, int | None], WorkerProcess] = {}
_pools_lock = threading.Lock()


def worker_process(name: str, *, memory_mb: int | None, **options: Any) -> WorkerProcess:
    """The process-wide :class:`WorkerProcess` for ``name`` and ``memory_mb``, made on first use.

    The memory limit is part of the key because it is fixed when a child starts: callers that
    ask for different limits (text extraction 2048 MB, rendering 1536 MB) get separate children
    instead of restarting one back and forth.
    """
    with _pools_lock:
        pool = _pools.get((name, memory_mb))
        if pool is None:
            pool = _pools[(name, memory_mb)] = WorkerProcess(name, memory_mb=memory_mb, **options)
        return pool


@atexit.register
def close_all() -> None:
    """Stop every pool's child (also registered to run when the interpreter exits)."""
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()
