"""Owner-only files and folders for what the embedded mode keeps on disk.

The SQLite database (password hashes, token digests, drafts), the signing keys and the blob
store (unpublished uploads) must not be readable by other accounts on the machine, whatever the
process umask is: folders are created 0700 and files 0600. Folders that already exist are left
as the operator made them (a mounted volume may need other modes).
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``mkdir -p path``; every folder this creates is 0700 (``chmod``, since umask filters ``mkdir``)."""
    missing: list[Path] = []
    probe = Path(path)
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # another process made it first; its creator chose the mode
        os.chmod(folder, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists (then it is left alone)."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    return path
