"""Preloaded by the multiprocessing forkserver only (see ``ingest.processors.sandbox``): makes
the forkserver exit when the process that started it dies.

Python's forkserver exits on its own only when every holder of its "alive" pipe has closed it,
and each child it forks receives a copy (so the child could start processes itself). A child
busy with a long parse therefore keeps the forkserver alive after the worker is SIGKILLed, and
the forkserver keeps the child alive: both outlive the worker. So the forkserver watches its
parent process and exits when it changes; every child it forked asked for SIGKILL when the
forkserver goes (``repository.processes.die_with_parent``). A thread that polls is used rather
than ``PR_SET_PDEATHSIG`` here because that signal follows the *thread* that started the
forkserver, which may be a short-lived one.
"""

from __future__ import annotations

import os
import threading
import time

WATCH_INTERVAL_S = 0.25

# The starting process writes its pid here before the forkserver starts (it may die before this
# module runs, and then os.getppid() would already name init).
PARENT_ENV = "HOCLIEU_FORKSERVER_PARENT"


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL_S)
    os._exit(0)


threading.Thread(
    target=_watch,
    args=(int(os.environ.get(PARENT_ENV) or os.getppid()),),
    name="forkserver-parent-watch",
    daemon=True,
).start()
