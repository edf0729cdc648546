"""Child processes that die with their parent.

A worker killed with SIGKILL (the OOM killer, an operator, a container stop) cannot clean up,
so every process it starts must notice on its own: Linux delivers a chosen signal to a process
when its parent goes (``prctl(PR_SET_PDEATHSIG)``). We set it to SIGKILL in

* RQ's work horse (forked per job by ``hoclieu worker``; RQ puts it in its own process group, so
  a signal to the worker's group misses it),
* the ingest sandbox children (``run_isolated`` and the warm ``WorkerProcess``), whose parent is
  the multiprocessing forkserver, which itself exits when the worker does,
* external tools (ffmpeg, soffice, tesseract), by starting them through ``setpriv --pdeathsig``
  (util-linux), because ``preexec_fn`` is unsafe in a process with threads.

The signal fires when the *thread* that created the child ends; our children are created by
threads that live as long as the worker (the main thread, a job runner's thread). On systems
without ``prctl`` these helpers do nothing and the process-group kills in the sandbox remain.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
from collections.abc import Sequence

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL, *, parent: int | None = None) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent exits.

    If the parent is already gone (it died between our fork and this call, so nobody would ever
    send the signal) the process exits at once. ``parent`` is the pid the caller knows its parent
    had (recorded before the fork); without it, a parent that changed during the call, or init,
    counts as gone. Returns False where unsupported.
    """
    if not sys.platform.startswith("linux"):
        return False
    before = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    now = os.getppid()
    if (parent is not None and now != parent) or now != before or now == 1:
        os._exit(1)  # orphaned already: the work belongs to a worker that no longer exists
    return True


def parent_bound(argv: Sequence[str]) -> list[str]:
    """``argv`` prefixed so that the tool is SIGKILLed when the process that starts it dies.

    ``argv[0]`` must already be resolved (an absolute path), and the command must be started by
    the process that calls this; without ``setpriv`` or ``sh`` (not Linux, or a minimal image)
    the command is returned unchanged.
    """
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    shell = shutil.which("sh")
    if setpriv is None or shell is None:
        return list(argv)
    # setpriv sets the death signal but does not look whether the parent is still there: a parent
    # killed between the fork and setpriv's prctl would leave the tool running forever. The shell
    # between them starts after the prctl and runs the tool only if its parent is still the
    # process that built this command (the one that spawns it), else it exits.
    return [setpriv, "--pdeathsig", "KILL", "--", shell, "-c", _IF_PARENT_IS, "sh", str(os.getpid()), *argv]


_IF_PARENT_IS = '[ "$PPID" = "$1" ] || exit 125; shift; exec "$@"'

