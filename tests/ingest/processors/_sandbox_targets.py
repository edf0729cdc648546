"""Module-level functions for the sandbox tests: ``run_isolated`` needs picklable callables."""

from __future__ import annotations

import ctypes
import os
import signal
import time

from ingest.processors.sandbox import ProcessingFailed


def add(a: int, b: int, *, scale: int = 1) -> int:
    return (a + b) * scale


def big_result(n: int) -> str:
    return "x" * n


def sleep_for(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def allocate(mb: int) -> int:
    block = bytearray(mb * 1024 * 1024)
    return len(block)


def segfault() -> None:
    ctypes.string_at(0)


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fail_with_reason() -> None:
    raise ProcessingFailed("PDF is password-protected", transient=False, detail="encrypted")


def raise_type_error() -> None:
    raise TypeError("ParseError: TIKA-198")
