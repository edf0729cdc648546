"""Test configuration shared by every test package.

``HOCLIEU_ENV=testing`` is set before any project import (house style). Fixtures that need a
service skip with a reason when it is absent, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HOCLIEU_ENV", "testing")

import pytest  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO_ROOT = Path(__file__).resolve().parents[1]


def skip_or_fail(reason: str) -> None:
    """Skip locally; in CI a missing prerequisite is a failure, not a silent skip."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only third-party corpora beside the checkout (``../shared/data``)."""
    root = Path(os.environ.get("HOCLIEU_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not root.is_dir():
        skip_or_fail(f"test corpora not found at {root} (set HOCLIEU_SHARED_DATA)")
    return root
