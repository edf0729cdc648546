"""A worker's death takes its children with it: each kind of child a worker starts, with the
parent SIGKILLed (no chance to clean up)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO_ROOT
from tests.processes import alive, descendants, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")


def _start(code: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        env=os.environ | env,
        stdout=subprocess.PIPE,
        text=True,
    )


def _kill_and_expect_tree_gone(proc: subprocess.Popen[str], expect: int) -> None:
    """Wait for the parent to report it started its work, SIGKILL it, and watch every process
    below it (``expect`` at least) disappear."""
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    tree = wait_until(lambda: (d := descendants(proc.pid)) and len(d) >= expect and d, 30, "the children")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()
    wait_until(lambda: not any(alive(p) for p in tree), 20, f"the orphans {sorted(tree)} to exit")


class TestChildrenDieWithTheirWorker:
    def test_die_with_parent_after_a_fork(self) -> None:
        proc = _start(
            """
            import os, time
            from repository.processes import die_with_parent
            if os.fork() == 0:
                die_with_parent()
                time.sleep(300)
                os._exit(0)
            print("ready", flush=True)
            time.sleep(300)
            """
        )
        _kill_and_expect_tree_gone(proc, 1)

    def test_a_child_whose_parent_is_already_gone_does_not_live_on(self) -> None:
        proc = _start(
            """
            import os, time
            from repository.processes import die_with_parent
            r, w = os.pipe()
            parent = os.getpid()
            if os.fork() == 0:
                os.close(w)
                print(os.getpid(), flush=True)
                os.read(r, 1)  # returns when the parent is exiting (or gone)
                die_with_parent(parent=parent)
                time.sleep(300)
                os._exit(0)
            os.close(r)
            time.sleep(0.5)
            os._exit(0)  # the write end closes: the child wakes up an orphan
            """
        )
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        proc.wait(10)
        # Either it saw the parent gone and exited, or the parent was still exiting and the
        # death signal it asked for arrives: in no case does it sleep on as an orphan.
        wait_until(lambda: not alive(child), 10, "the orphaned child to exit")
        proc.stdout.close()

    def test_an_external_tool_dies_with_the_worker(self) -> None:
        proc = _start(
            """
            from ingest.processors.sandbox import run_command
            print("ready", flush=True)
            run_command(["sleep", "300"], timeout_s=600, memory_mb=None)
            """
        )
        _kill_and_expect_tree_gone(proc, 1)

    def test_an_external_tool_whose_worker_is_already_gone_does_not_start(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """The worker SIGKILLed between spawning the tool and the tool asking for its death signal:
        the tool then finds a parent other than the worker that built its command, and never runs
        (before, it ran on as an orphan nobody would ever kill)."""
        from repository.processes import parent_bound

        marker = tmp_path / "ran"
        touch = shutil.which("touch")
        assert touch is not None
        argv = parent_bound([touch, str(marker)])
        # Started by another process than the one that built it: exactly what the tool sees when
        # its worker died and it was re-parented.
        relay = subprocess.run(
            [sys.executable, "-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))", *argv],
            timeout=30,
        )
        assert relay.returncode == 125
        assert not marker.exists()
        # Started by the process that built it, the same command runs the tool.
        assert subprocess.run(argv, timeout=30).returncode == 0
        assert marker.exists()

    def test_an_isolated_child_dies_with_the_worker(self) -> None:
        proc = _start(
            """
            import time
            from ingest.processors.sandbox import run_isolated
            print("ready", flush=True)
            run_isolated(time.sleep, 300, timeout_s=600, memory_mb=None)
            """
        )
        # The resource tracker, the forkserver and the child it forked for the call.
        _kill_and_expect_tree_gone(proc, 3)

    def test_a_warm_pool_child_dies_with_the_worker_mid_call(self) -> None:
        proc = _start(
            """
            import time
            from ingest.processors.pool import WorkerProcess
            print("ready", flush=True)
            WorkerProcess("t", memory_mb=None).call(time.sleep, 300, timeout_s=600)
            """
        )
        _kill_and_expect_tree_gone(proc, 3)

    def test_an_rq_work_horse_dies_with_its_worker(self, redis_url: str) -> None:
        proc = _start(
            """
            import os
            from redis import Redis
            from rq import Queue
            from repository.jobs import parent_bound_worker_class
            redis = Redis.from_url(os.environ["REDIS"])
            queue = Queue("t", connection=redis)
            queue.enqueue("time.sleep", 300, job_timeout=600)
            print("ready", flush=True)
            parent_bound_worker_class()([queue], connection=redis).work()
            """,
            REDIS=redis_url,
        )
        # RQ puts the horse in its own process group: only the death signal reaches it.
        _kill_and_expect_tree_gone(proc, 1)
