"""Run untrusted-input processing with a wall-clock limit, a memory limit and crash isolation.

Real uploads are hostile (zip bombs, truncated containers, 8K videos), and the libraries that
parse them (Tika's native image, pdfium, ffmpeg, LibreOffice) cannot be interrupted safely from
Python. So every heavy step runs in a *child process* that the worker can kill:

* :func:`run_isolated` runs a picklable module-level Python function in a child process made by
  the ``forkserver`` context (``fork`` is unsafe once the worker has threads, and ``forkserver``
  avoids paying a full interpreter start per call the way ``spawn`` does);
* :func:`run_command` runs an external tool (ffmpeg, soffice, tesseract) with the same limits
  plus a *stall detector*: a tool that prints nothing, or makes no progress, for ``stall_s``
  seconds is killed.

Both turn every failure into :class:`ProcessingFailed`, whose ``reason`` is written for a person
("took longer than 60 s", "needed more than 1024 MB of memory"), never a traceback::

    try:
        text = run_isolated(extract, path, timeout_s=60, memory_mb=1536)
    except ProcessingFailed as exc:
        job.fail(exc.reason, retry=exc.transient)
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import selectors
import shutil
import signal
import subprocess
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from repository.processes import die_with_parent, parent_bound

__all__ = ["CommandResult", "ProcessingFailed", "run_command", "run_isolated"]

R = TypeVar("R")

# Keep at most this much of a tool's output: enough for error messages and text a tool prints
# (tesseract to stdout), bounded so a runaway tool cannot fill the worker's memory.
DEFAULT_MAX_OUTPUT_BYTES = 32 * 1024 * 1024

# The memory limit is RLIMIT_DATA (private writable memory: heap, anonymous mmaps, thread stacks;
# Linux >= 4.7), not RLIMIT_AS. iscc-tika's GraalVM native image *reserves* about 32 GB of
# address space when it starts (measured: "Failed creating the graal native vm: NoMemory" under
# any RLIMIT_AS below ~33 GB) but commits only what it uses; RLIMIT_DATA counts committed
# private memory, so it bounds real use without breaking runtimes that reserve address space.
MEMORY_RLIMIT = resource.RLIMIT_DATA


class ProcessingFailed(Exception):
    """A processing step failed for a reason a person can understand.

    Attributes:
        reason: human-readable cause, e.g. ``"PDF is password-protected"``.
        transient: True when retrying may succeed (a killed worker, a busy machine); False for
            a property of the file (encrypted, truncated, too large) where retrying is useless.
        detail: optional technical detail (exception text, tool stderr tail) for logs only.
    """

    def __init__(self, reason: str, *, transient: bool = False, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.detail = detail

    def __reduce__(self) -> tuple[Any, ...]:
        # The default pickling replays ``self.args`` only, which would drop the keyword-only
        # attributes when the exception crosses the process boundary.
        return (_rebuild_failed, (self.reason, self.transient, self.detail))


def _rebuild_failed(reason: str, transient: bool, detail: str | None) -> ProcessingFailed:
    return ProcessingFailed(reason, transient=transient, detail=detail)


def _mp_context() -> multiprocessing.context.BaseContext:
    # forkserver is POSIX-only; spawn is the safe fallback elsewhere.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # The forkserver exits when this process dies, and so do the children it forked (see
    # repository.forkserver_init); "__main__" is multiprocessing's own default preload.
    ctx.set_forkserver_preload(["__main__", "repository.forkserver_init"])
    os.environ["HOCLIEU_FORKSERVER_PARENT"] = str(os.getpid())  # read by forkserver_init
    return ctx


def _describe_signal(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


_MEMORY_SIGNALS = (signal.SIGKILL, signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS)


def _crash(what: str, sig: int, memory_mb: int | None, detail: str) -> ProcessingFailed:
    name = _describe_signal(sig)
    if memory_mb is not None and sig in _MEMORY_SIGNALS:
        # Native code that cannot allocate under the limit usually aborts or segfaults, and the
        # kernel's OOM killer sends SIGKILL, so memory is the likely cause.
        return ProcessingFailed(
            f"{what} crashed ({name}); it probably needed more than {memory_mb} MB of memory", detail=detail
        )
    return ProcessingFailed(f"{what} crashed ({name})", detail=detail)


def _limit_memory(memory_mb: int | None) -> None:
    if memory_mb is None:
        return
    limit = memory_mb * 1024 * 1024
    # A decompression bomb must fail with MemoryError (or a native allocation failure) in the
    # child instead of swapping the machine to death. See MEMORY_RLIMIT for why RLIMIT_DATA.
    resource.setrlimit(MEMORY_RLIMIT, (limit, limit))


def _child_main(
    conn: multiprocessing.connection.Connection,
    memory_mb: int | None,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    # Own process group, so a timeout also kills any tool the function started; and gone when
    # the forkserver (which exits with the worker) is gone, so a killed worker leaves no child.
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    die_with_parent()
    try:
        _limit_memory(memory_mb)
        result = func(*args, **kwargs)
    except ProcessingFailed as exc:
        conn.send(("failed", exc))
    except MemoryError:
        conn.send(("memory", None))
    except BaseException as exc:  # everything must reach the parent as a reason
        conn.send(("error", (type(exc).__name__, str(exc)[:2000], traceback.format_exc()[-8000:])))
    else:
        try:
            conn.send(("ok", result))
        except MemoryError:
            conn.send(("memory", None))
    finally:
        conn.close()


def _kill_group(pid: int) -> None:
    # The group first (the process and anything it started), then the process itself in case
    # it had not yet moved into its own group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def run_isolated(
    func: Callable[..., R],
    *args: Any,
    timeout_s: float,
    memory_mb: int | None,
    label: str | None = None,
    **kwargs: Any,
) -> R:
    """Call ``func(*args, **kwargs)`` in a child process with time and memory limits.

    Args:
        func: a picklable, module-level function; its arguments and result must pickle too.
        timeout_s: wall-clock limit; the child (and its process group) is killed after it.
        memory_mb: memory limit applied in the child (``RLIMIT_DATA``), or None for none.
        label: what is being done, for reasons ("text extraction took longer than 60 s");
            defaults to the function name.

    Returns:
        Whatever ``func`` returned.

    Raises:
        ProcessingFailed: on timeout, memory exhaustion, a crash (signal), or any exception in
            the child. A ``ProcessingFailed`` raised by ``func`` comes through unchanged.
    """
    what = label or func.__name__.strip("_").replace("_", " ")
    ctx = _mp_context()
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    proc = ctx.Process(  # type: ignore[attr-defined]
        target=_child_main, args=(child_conn, memory_mb, func, args, kwargs), daemon=True
    )
    started = time.monotonic()
    proc.start()
    child_conn.close()  # so a dead child shows up as EOF on our end
    message: tuple[str, Any] | None = None
    try:
        # poll() wakes on data or EOF; the result must be read *before* join(), because a large
        # result blocks the child in send() until the parent drains the pipe.
        if parent_conn.poll(timeout_s):
            with contextlib.suppress(EOFError, OSError):
                message = parent_conn.recv()
        elif proc.is_alive():
            _kill_group(proc.pid)
            proc.join(5)
            raise ProcessingFailed(f"{what} took longer than {timeout_s:g} s", transient=False)
        remaining = max(0.5, timeout_s - (time.monotonic() - started))
        proc.join(remaining)
        if proc.is_alive():  # sent a result but does not exit (a stuck native thread)
            _kill_group(proc.pid)
            proc.join(5)
    finally:
        parent_conn.close()
        if proc.is_alive():
            _kill_group(proc.pid)
            proc.join(5)
        # Grandchildren left in the child's group (a tool it started) must not outlive it.
        _kill_group(proc.pid)

    if message is None:
        code = proc.exitcode
        if code is not None and code < 0:
            raise _crash(what, -code, memory_mb, f"exit signal {-code}")
        raise ProcessingFailed(f"{what} exited unexpectedly (exit code {code})", transient=True)

    kind, payload = message
    return child_reply(what, kind, payload, memory_mb)  # type: ignore[no-any-return]


def child_reply(what: str, kind: str, payload: Any, memory_mb: int | None) -> Any:
    """The result a child sent (``ok``), or the exception its reply stands for (``failed``: the
    child's own ProcessingFailed; ``memory``: it ran out of its limit; else an unexpected error,
    as ``(name, text, traceback)``). Shared by one-off sandboxes and the persistent pool."""
    if kind == "ok":
        return payload
    if kind == "failed":
        assert isinstance(payload, ProcessingFailed)
        raise payload
    if kind == "memory":
        raise ProcessingFailed(f"{what} needed more than {memory_mb} MB of memory")
    name, text, tb = payload
    raise ProcessingFailed(f"{what} failed: {name}: {text}" if text else f"{what} failed: {name}", detail=tb)


@dataclass(frozen=True)
class CommandResult:
    """What an external tool did. ``stdout``/``stderr`` keep at most the last N bytes."""

    returncode: int
    stdout: bytes
    stderr: bytes
    duration_s: float

    def stderr_tail(self, limit: int = 500) -> str:
        """The end of stderr as text, for error messages and logs."""
        return self.stderr[-limit:].decode("utf-8", "replace").strip()


class _Tail:
    """A bounded output buffer that keeps the *end* (where tools print their errors)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.pending = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        self.data += chunk
        if len(self.data) > self.limit:
            del self.data[: len(self.data) - self.limit]
        # Split into lines for progress parsing; ffmpeg's stats use '\r' as a line end.
        buf = (self.pending + chunk).replace(b"\r", b"\n")
        *lines, self.pending = buf.split(b"\n")
        if len(self.pending) > 65536:
            self.pending = self.pending[-65536:]
        return lines


def run_command(
    argv: Sequence[str],
    *,
    timeout_s: float,
    memory_mb: int | None,
    stall_s: float | None = None,
    progress_cb: Callable[[float], None] | None = None,
    progress_parser: Callable[[str], float | None] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    label: str | None = None,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
) -> CommandResult:
    """Run an external tool with a wall-clock limit, a memory limit and a stall detector.

    Args:
        argv: the command; ``argv[0]`` is looked up on PATH.
        timeout_s: wall-clock limit; the tool's whole process group is killed after it.
        memory_mb: memory limit for the tool (``RLIMIT_DATA``), or None.
        stall_s: kill the tool when it makes no progress for this long. Without a
            ``progress_parser``, any output counts as progress; with one, only a line for which
            it returns a *higher* fraction does (ffmpeg keeps printing while stuck).
        progress_cb: called with a fraction in [0, 1] whenever ``progress_parser`` finds one.
        progress_parser: maps one output line (stdout or stderr) to a fraction, or None.
        label: what is being done, for reasons; defaults to the tool name.
        max_output_bytes: how much of each stream to keep (the end of it).

    Returns:
        A :class:`CommandResult`; a non-zero exit code is returned, not raised, so the caller
        can turn the tool's own message into a reason.

    Raises:
        ProcessingFailed: when the tool is missing, times out, stalls or dies from a signal.
    """
    what = label or os.path.basename(argv[0])
    exe = shutil.which(argv[0], path=(env or os.environ).get("PATH"))
    if exe is None:
        raise ProcessingFailed(f"{what} is not installed", detail=f"{argv[0]} not found on PATH")
    started = time.monotonic()
    try:
        # process_group=0 (Python 3.11) instead of preexec_fn, which is unsafe with threads;
        # parent_bound: the tool is killed if this worker dies (see repository.processes).
        proc = subprocess.Popen(
            parent_bound([exe, *argv[1:]]),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            process_group=0,
        )
    except FileNotFoundError as exc:
        raise ProcessingFailed(f"{what} is not installed", detail=str(exc)) from None
    except OSError as exc:
        raise ProcessingFailed(f"{what} could not be started: {exc.strerror}", transient=True) from None

    if memory_mb is not None and hasattr(resource, "prlimit"):
        # Applied right after exec (Popen returns once exec succeeded), before the tool has
        # read any input; children it forks later inherit the limit.
        limit = memory_mb * 1024 * 1024
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            resource.prlimit(proc.pid, MEMORY_RLIMIT, (limit, limit))

    assert proc.stdout is not None
    assert proc.stderr is not None
    out_tail, err_tail = _Tail(max_output_bytes), _Tail(max_output_bytes)
    tails = {proc.stdout.fileno(): out_tail, proc.stderr.fileno(): err_tail}
    sel = selectors.DefaultSelector()
    for stream in (proc.stdout, proc.stderr):
        os.set_blocking(stream.fileno(), False)
        sel.register(stream.fileno(), selectors.EVENT_READ)
    last_progress = started
    best = -1.0
    killed: str | None = None
    try:
        open_fds = len(tails)
        while open_fds:
            now = time.monotonic()
            deadline = started + timeout_s
            if now >= deadline:
                killed = f"{what} took longer than {timeout_s:g} s"
                break
            if stall_s is not None and now - last_progress >= stall_s:
                killed = f"{what} made no progress for {stall_s:g} s"
                break
            wait = deadline - now
            if stall_s is not None:
                wait = min(wait, last_progress + stall_s - now)
            for key, _ in sel.select(timeout=max(0.01, min(wait, 1.0))):
                fd = int(key.fd)
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(fd)
                    open_fds -= 1
                    continue
                lines = tails[fd].feed(chunk)
                if progress_parser is None:
                    last_progress = time.monotonic()
                    continue
                for raw in lines:
                    fraction = progress_parser(raw.decode("utf-8", "replace"))
                    if fraction is not None and fraction > best:
                        best = fraction
                        last_progress = time.monotonic()
                        if progress_cb is not None:
                            progress_cb(min(1.0, max(0.0, fraction)))
        if killed is None:
            # Output closed; the tool may still be finishing (or hang without output).
            try:
                proc.wait(timeout=max(0.1, started + timeout_s - time.monotonic()))
            except subprocess.TimeoutExpired:
                killed = f"{what} took longer than {timeout_s:g} s"
    finally:
        sel.close()
        if killed is not None or proc.poll() is None:
            _kill_group(proc.pid)
            proc.wait()
        else:
            _kill_group(proc.pid)  # stray children left in its group
        proc.stdout.close()
        proc.stderr.close()

    result = CommandResult(
        returncode=proc.returncode,
        stdout=bytes(out_tail.data),
        stderr=bytes(err_tail.data),
        duration_s=time.monotonic() - started,
    )
    if killed is not None:
        raise ProcessingFailed(killed, detail=result.stderr_tail())
    if result.returncode < 0:
        raise _crash(what, -result.returncode, memory_mb, result.stderr_tail())
    if progress_cb is not None and result.returncode == 0 and best >= 0:
        progress_cb(1.0)
    return result
