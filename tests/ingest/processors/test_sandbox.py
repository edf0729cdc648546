"""The sandbox: child processes with wall-clock, memory and stall limits (real processes)."""

from __future__ import annotations

import sys
import time

import pytest

from ingest.processors.sandbox import ProcessingFailed, run_command, run_isolated
from tests.ingest.processors import _sandbox_targets as t


class TestRunIsolated:
    def test_returns_the_result_of_a_normal_call(self) -> None:
        assert run_isolated(t.add, 2, 3, scale=10, timeout_s=30, memory_mb=512) == 50

    def test_large_results_cross_the_pipe_without_deadlock(self) -> None:
        assert len(run_isolated(t.big_result, 20_000_000, timeout_s=30, memory_mb=1024)) == 20_000_000

    def test_timeout_kills_the_child_with_a_clear_reason(self) -> None:
        started = time.monotonic()
        with pytest.raises(ProcessingFailed, match=r"took longer than 1 s") as info:
            run_isolated(t.sleep_for, 60, timeout_s=1, memory_mb=256, label="text extraction")
        assert info.value.reason == "text extraction took longer than 1 s"
        assert time.monotonic() - started < 10

    def test_memory_limit_becomes_a_reason(self) -> None:
        with pytest.raises(ProcessingFailed, match=r"needed more than 256 MB of memory"):
            run_isolated(t.allocate, 2048, timeout_s=30, memory_mb=256)

    def test_a_segfault_is_reported_as_a_crash(self) -> None:
        with pytest.raises(ProcessingFailed, match=r"crashed \(SIGSEGV\)"):
            run_isolated(t.segfault, timeout_s=30, memory_mb=None)

    def test_a_killed_child_under_a_memory_limit_suggests_memory(self) -> None:
        with pytest.raises(ProcessingFailed, match=r"SIGKILL.*more than 300 MB"):
            run_isolated(t.kill_self, timeout_s=30, memory_mb=300)

    def test_processing_failed_propagates_with_its_attributes(self) -> None:
        with pytest.raises(ProcessingFailed) as info:
            run_isolated(t.fail_with_reason, timeout_s=30, memory_mb=256)
        assert info.value.reason == "PDF is password-protected"
        assert info.value.transient is False
        assert info.value.detail == "encrypted"

    def test_other_exceptions_become_a_reason_with_the_traceback_as_detail(self) -> None:
        with pytest.raises(ProcessingFailed, match=r"raise type error failed: TypeError: ParseError") as info:
            run_isolated(t.raise_type_error, timeout_s=30, memory_mb=256)
        assert info.value.detail is not None
        assert "Traceback" in info.value.detail


class TestRunCommand:
    def test_normal_command_returns_output_and_code(self) -> None:
        result = run_command(
            [sys.executable, "-c", "import sys; print('hello'); sys.stderr.write('warn'); sys.exit(3)"],
            timeout_s=30,
            memory_mb=512,
        )
        assert result.returncode == 3
        assert result.stdout.strip() == b"hello"
        assert result.stderr_tail() == "warn"

    def test_missing_tool_is_a_reason(self) -> None:
        with pytest.raises(ProcessingFailed, match="hoclieu-no-such-tool is not installed"):
            run_command(["hoclieu-no-such-tool"], timeout_s=5, memory_mb=None)

    def test_timeout_kills_the_tool_and_its_children(self) -> None:
        started = time.monotonic()
        with pytest.raises(ProcessingFailed, match="took longer than 1 s"):
            # A shell that starts a child: the whole process group must go.
            run_command(["sh", "-c", "sleep 60 & sleep 60; wait"], timeout_s=1, memory_mb=None)
        assert time.monotonic() - started < 5

    def test_silent_tool_is_killed_as_stalled(self) -> None:
        script = "import time; print('start', flush=True); time.sleep(60)"
        started = time.monotonic()
        with pytest.raises(ProcessingFailed, match=r"made no progress for 1 s"):
            run_command([sys.executable, "-c", script], timeout_s=30, memory_mb=None, stall_s=1)
        assert time.monotonic() - started < 5

    def test_progress_is_parsed_and_a_repeating_value_counts_as_a_stall(self) -> None:
        # Like ffmpeg, the tool keeps printing while stuck: the same value is not progress.
        script = (
            "import time\n"
            "for i in range(1, 5):\n"
            "    print(f'progress={i * 25}', flush=True); time.sleep(0.05)\n"
            "while True:\n"
            "    print('progress=100', flush=True); time.sleep(0.1)\n"
        )
        seen: list[float] = []

        def parse(line: str) -> float | None:
            return int(line.split("=")[1]) / 100 if line.startswith("progress=") else None

        with pytest.raises(ProcessingFailed, match="made no progress"):
            run_command(
                [sys.executable, "-c", script],
                timeout_s=30,
                memory_mb=None,
                stall_s=1,
                progress_cb=seen.append,
                progress_parser=parse,
            )
        assert seen == [0.25, 0.5, 0.75, 1.0]

    def test_memory_limit_applies_to_the_tool(self) -> None:
        result = run_command(
            [sys.executable, "-c", "b = bytearray(1024 * 1024 * 1024)"], timeout_s=30, memory_mb=300
        )
        assert result.returncode != 0
        assert "MemoryError" in result.stderr_tail()

    def test_crash_of_the_tool_is_reported(self) -> None:
        with pytest.raises(ProcessingFailed, match=r"python crashed \(SIGSEGV\)"):
            run_command(
                [sys.executable, "-c", "import ctypes; ctypes.string_at(0)"],
                timeout_s=30,
                memory_mb=None,
                label="python",
            )
