"""The persistent worker child: warm state between calls, and the same limits as run_isolated."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.processors.pool import WorkerProcess
from ingest.processors.sandbox import ProcessingFailed
from ingest.processors.text import _tika_child
from tests.ingest.processors import _sandbox_targets as targets
from tests.processes import alive, wait_until

_calls = 0


def count_calls() -> tuple[int, int]:
    """Module state in the child: grows while one child serves, resets in a new one."""
    global _calls
    _calls += 1
    return os.getpid(), _calls


@pytest.fixture
def pool() -> Iterator[WorkerProcess]:
    worker = WorkerProcess("test", memory_mb=512)
    yield worker
    worker.close()


class TestWorkerProcess:
    def test_one_child_serves_many_calls_and_keeps_its_state(self, pool: WorkerProcess) -> None:
        results = [pool.call(count_calls, timeout_s=10) for _ in range(3)]
        assert {pid for pid, _ in results} == {results[0][0]}
        assert results[0][0] != os.getpid()
        assert [n for _, n in results] == [1, 2, 3]
        assert pool.started == 1

    def test_arguments_and_results_cross_the_pipe(self, pool: WorkerProcess) -> None:
        assert pool.call(targets.add, 2, 3, scale=10, timeout_s=10) == 50
        assert len(pool.call(targets.big_result, 5_000_000, timeout_s=10)) == 5_000_000

    def test_timeout_kills_the_child_and_the_next_call_gets_a_new_one(self, pool: WorkerProcess) -> None:
        first_pid, _ = pool.call(count_calls, timeout_s=10)
        started = time.monotonic()
        with pytest.raises(ProcessingFailed) as info:
            pool.call(targets.sleep_for, 30, timeout_s=0.5, label="text extraction")
        assert time.monotonic() - started < 5
        assert info.value.reason == "text extraction took longer than 0.5 s"
        with pytest.raises(ProcessLookupError):
            os.kill(first_pid, 0)
        pid, n = pool.call(count_calls, timeout_s=10)
        assert pid != first_pid
        assert n == 1

    def test_memory_limit_fails_the_call_and_replaces_the_child(self, pool: WorkerProcess) -> None:
        first_pid, _ = pool.call(count_calls, timeout_s=10)
        with pytest.raises(ProcessingFailed) as info:
            pool.call(targets.allocate, 2048, timeout_s=10, label="text extraction")
        assert info.value.reason == "text extraction needed more than 512 MB of memory"
        pid, n = pool.call(count_calls, timeout_s=10)
        assert (pid, n) != (first_pid, 2)
        assert n == 1

    def test_a_crash_is_a_clear_reason_and_the_pool_recovers(self) -> None:
        worker = WorkerProcess("crash", memory_mb=None)
        try:
            with pytest.raises(ProcessingFailed) as info:
                worker.call(targets.segfault, timeout_s=10, label="text extraction")
            assert info.value.reason == "text extraction crashed (SIGSEGV)"
            with pytest.raises(ProcessingFailed) as info:
                worker.call(targets.kill_self, timeout_s=10, label="text extraction")
            assert info.value.reason == "text extraction crashed (SIGKILL)"
            assert worker.call(targets.add, 1, 1, timeout_s=10) == 2
        finally:
            worker.close()

    def test_crash_under_a_memory_limit_names_memory_as_the_likely_cause(self, pool: WorkerProcess) -> None:
        with pytest.raises(ProcessingFailed) as info:
            pool.call(targets.kill_self, timeout_s=10, label="PDF text extraction")
        assert info.value.reason == (
            "PDF text extraction crashed (SIGKILL); it probably needed more than 512 MB of memory"
        )

    def test_processing_failed_passes_through_and_keeps_the_child(self, pool: WorkerProcess) -> None:
        pid, _ = pool.call(count_calls, timeout_s=10)
        with pytest.raises(ProcessingFailed) as info:
            pool.call(targets.fail_with_reason, timeout_s=10)
        assert info.value.reason == "PDF is password-protected"
        assert info.value.detail == "encrypted"
        assert pool.call(count_calls, timeout_s=10) == (pid, 2)

    def test_an_unexpected_exception_is_a_reason_and_retires_the_child(self, pool: WorkerProcess) -> None:
        pid, _ = pool.call(count_calls, timeout_s=10)
        with pytest.raises(ProcessingFailed) as info:
            pool.call(targets.raise_type_error, timeout_s=10, label="text extraction")
        assert info.value.reason == "text extraction failed: TypeError: ParseError: TIKA-198"
        assert info.value.detail is not None
        assert "Traceback" in info.value.detail
        assert pool.call(count_calls, timeout_s=10)[0] != pid

    def test_recycled_after_max_calls(self) -> None:
        worker = WorkerProcess("recycle", memory_mb=None, max_calls=2)
        try:
            pids = [worker.call(count_calls, timeout_s=10)[0] for _ in range(4)]
        finally:
            worker.close()
        assert pids[0] == pids[1] != pids[2] == pids[3]
        assert worker.started == 2

    def test_recycled_when_resident_memory_is_above_the_threshold(self) -> None:
        worker = WorkerProcess("rss", memory_mb=None, max_rss_mb=1)  # any Python is above 1 MB
        try:
            first = worker.call(count_calls, timeout_s=10)
            second = worker.call(count_calls, timeout_s=10)
        finally:
            worker.close()
        assert first[0] != second[0]
        assert worker.last_rss_mb > 1

    def test_a_child_killed_while_idle_is_replaced_transparently(self, pool: WorkerProcess) -> None:
        pid, _ = pool.call(count_calls, timeout_s=10)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not alive(pid), 10, "the killed child to die")
        new_pid, n = pool.call(count_calls, timeout_s=10)
        assert new_pid != pid
        assert n == 1

    def test_close_stops_the_child(self, pool: WorkerProcess) -> None:
        pid, _ = pool.call(count_calls, timeout_s=10)
        pool.close()
        assert pool.pid is None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


class TestWarmTika:
    def test_documents_share_one_warm_extractor(self, shared_data: Path) -> None:
        teacher = shared_data / "01_vietnamese_edu/giaoan_teacher_docs_huytt"
        worker = WorkerProcess("tika-test", memory_mb=2048)
        try:
            cold = time.monotonic()
            first = worker.call(_tika_child, str(teacher / "Đề 1.doc"), 1_000_000, timeout_s=60)
            cold = time.monotonic() - cold
            warm = time.monotonic()
            second = worker.call(_tika_child, str(teacher / "Đề 2.doc"), 1_000_000, timeout_s=60)
            warm = time.monotonic() - warm
        finally:
            worker.close()
        assert "TÔ MÌ CỦA NGƯỜI LẠ" in first.text
        assert second.text.strip()
        assert worker.started == 1
        # The native image boots once: a warm call is far below a cold one.
        assert warm < cold
