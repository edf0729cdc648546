"""Looking at real process trees from tests (Linux ``/proc``): who descends from whom, who is
still alive (a zombie waiting for a reaper counts as dead), and who carries a marker."""

from __future__ import annotations

import os
import time
from pathlib import Path


def _stat(pid: int) -> tuple[str, int] | None:
    """``(state, ppid)`` of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses; split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def parent_of(pid: int) -> int | None:
    st = _stat(pid)
    return st[1] if st is not None else None


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``."""
    children: dict[int, list[int]] = {}
    for p in all_pids():
        st = _stat(p)
        if st is not None and st[0] not in ("Z", "X"):
            children.setdefault(st[1], []).append(p)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def marked(marker: str) -> dict[int, int]:
    """``{pid: ppid}`` of live processes whose environment contains ``marker`` (a ``NAME=value``)."""
    needle = marker.encode()
    out: dict[int, int] = {}
    for p in all_pids():
        try:
            env = Path(f"/proc/{p}/environ").read_bytes()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            st = _stat(p)
            if st is not None and st[0] not in ("Z", "X"):
                out[p] = st[1]
    return out


def orphans(marker: str, *, owners: set[int]) -> dict[int, int]:
    """Marked processes whose parent is neither another marked process nor one of ``owners``
    (the test itself): their parent is gone and nobody will stop them."""
    procs = marked(marker)
    return {p: pp for p, pp in procs.items() if pp not in procs and pp not in owners}


def wait_until(condition, timeout: float, what: str):  # type: ignore[no-untyped-def]
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)
