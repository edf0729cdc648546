"""Real executables that fail the way a damaged server installation fails.

A system ffmpeg after a partial upgrade cannot load one of its shared libraries: the dynamic
loader prints its message (naming the binary's path) and exits with status 127 before ffmpeg
runs at all. These scripts do exactly that, so the tests exercise the real subprocess paths.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import imageio_ffmpeg
import pytest

BUNDLED_FFMPEG = str(imageio_ffmpeg.get_ffmpeg_exe())
LOADER_ERROR = (
    "error while loading shared libraries: libx264.so.164: cannot open shared object file: "
    "No such file or directory"
)


def write_script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def broken_ffmpeg(path: Path) -> Path:
    """An ``ffmpeg`` that never runs: the loader's error, exit status 127."""
    return write_script(path, f"echo '/usr/bin/ffmpeg: {LOADER_ERROR}' >&2\nexit 127")


def working_ffmpeg(path: Path) -> Path:
    """An ``ffmpeg`` that is the bundled binary under another path (a healthy system ffmpeg)."""
    return write_script(path, f'exec "{BUNDLED_FFMPEG}" "$@"')


def half_broken_ffmpeg(path: Path) -> Path:
    """Passes the self-check (lavfi test sources) but fails every real job with the loader's
    error: a broken codec library that the self-check does not load."""
    return write_script(
        path,
        f'case "$*" in *testsrc*) exec "{BUNDLED_FFMPEG}" "$@";; esac\n'
        f"echo '/usr/bin/ffmpeg: {LOADER_ERROR}' >&2\nexit 127",
    )


def first_on_path(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
