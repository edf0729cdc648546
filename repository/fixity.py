"""Fixity: re-hash every stored blob and re-check every signed approval.

Blobs are content-addressed, so a blob is intact when sha256(bytes) equals its key. The check
walks every key referenced by the database (originals and derivatives) plus any other blob in the
store, in sorted order, and records progress in a checkpoint file after each batch: an
interrupted run (``hoclieu fixity`` killed, machine rebooted) resumes after the last checked key
instead of re-reading terabytes. Then every approved version's manifest is checked against its
signature and the stored metadata (no re-hash: the blob pass just did that).

Problems become ``IntegrityIssue`` rows on the affected materials, so curators see them; a
later clean run resolves them. Nothing is repaired automatically: a restore is a human decision.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from repository.audit.service import audit
from repository.curation.signing import signatures
from repository.curation.store import CurationStore
from repository.models import Derivative, IntegrityIssue, Material, MaterialFile, utcnow
from repository.runtime import Runtime
from repository.signing import Signer, signer_for
from repository.uow import UnitOfWork

CHECKPOINT_NAME = "fixity-checkpoint.json"
CHECKPOINT_EVERY_S = 2.0


@dataclass
class Problem:
    storage_key: str
    problem: str  # "missing" | "mismatch" | "signature"
    detail: str
    material_ids: list[str] = field(default_factory=list)


@dataclass
class FixityReport:
    checked: int
    resumed_from: str | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def checkpoint_path(runtime: Runtime) -> Path:
    return runtime.settings.data_dir / CHECKPOINT_NAME


class FixityCheck:
    """One fixity run. ``on_progress(done, total)`` is called as blobs are checked."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        restart: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.runtime = runtime
        self.path = checkpoint_path(runtime)
        self.restart = restart
        self.on_progress = on_progress or (lambda done, total: None)
        self.signer = signer or signer_for(runtime.settings)

    def _keys(self) -> tuple[list[str], dict[str, set[str]]]:
        """Every key to check, and which materials reference each."""
        owners: dict[str, set[str]] = {}
        with self.runtime.db.read() as session:
            for key, mid in session.execute(select(MaterialFile.storage_key, MaterialFile.material_id)):
                owners.setdefault(key, set()).add(mid)
            for key, mid in session.execute(
                select(Derivative.storage_key, MaterialFile.material_id).join(
                    MaterialFile, Derivative.file_id == MaterialFile.id
                )
            ):
                owners.setdefault(key, set()).add(mid)
        keys = set(owners) | set(self.runtime.blobs.iter_keys())
        return sorted(keys), owners

    def _load_checkpoint(self) -> dict[str, Any]:
        if self.restart or not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # an unreadable checkpoint only costs a full re-run
        return data if isinstance(data, dict) and isinstance(data.get("after"), str) else {}

    def _save_checkpoint(self, after: str, checked: int, problems: list[Problem]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"after": after, "checked": checked, "problems": [p.__dict__ for p in problems]}),
            encoding="utf-8",
        )
        os.replace(tmp, self.path)

    def run(self) -> FixityReport:
        keys, owners = self._keys()
        state = self._load_checkpoint()
        after: str | None = state.get("after")
        problems = [Problem(**p) for p in state.get("problems", [])]
        checked = int(state.get("checked", 0))
        todo = [k for k in keys if after is None or k > after]
        done_before = len(keys) - len(todo)
        self.on_progress(done_before, len(keys))
        last_save = time.monotonic()
        blobs = self.runtime.blobs
        for i, key in enumerate(todo, 1):
            mids = sorted(owners.get(key, ()))
            if not blobs.exists(key):
                problems.append(Problem(key, "missing", "the stored blob is missing", mids))
            elif not blobs.verify(key):
                problems.append(
                    Problem(key, "mismatch", "the stored bytes no longer match their sha256", mids)
                )
            checked += 1
            self.on_progress(done_before + i, len(keys))
            if time.monotonic() - last_save >= CHECKPOINT_EVERY_S:
                self._save_checkpoint(key, checked, problems)
                last_save = time.monotonic()
        problems += self._signatures()
        self._record(keys, problems, checked)
        self.path.unlink(missing_ok=True)
        return FixityReport(checked=checked, resumed_from=after, problems=problems)

    def _signatures(self) -> list[Problem]:
        found: list[Problem] = []
        with self.runtime.db.read() as session:
            store = CurationStore.from_session(session)
            for version in store.approved_signed_versions():
                material = store.material_full(version.material_id)
                if material is None:
                    continue
                report = signatures.verify_version(material, version, signer=self.signer, blobs=None)
                if not report.ok:
                    found.append(
                        Problem(
                            f"material:{material.id}:v{version.number}",
                            "signature",
                            "; ".join(report.problems),
                            [material.id],
                        )
                    )
        return found

    def _record(self, keys: list[str], problems: list[Problem], checked: int) -> None:
        bad = {(p.storage_key, p.problem) for p in problems}
        with UnitOfWork(self.runtime.db) as uow:
            s = uow.session
            existing_materials = set(s.scalars(select(Material.id)))
            open_issues = list(s.scalars(select(IntegrityIssue).where(IntegrityIssue.resolved_at.is_(None))))
            seen = {(i.storage_key, i.problem, i.material_id) for i in open_issues}
            now = utcnow()
            for issue in open_issues:  # fixed since (restored from backup, re-approved...)
                if (issue.storage_key, issue.problem) not in bad:
                    issue.resolved_at = now
            for p in problems:
                targets: list[str | None] = [m for m in p.material_ids if m in existing_materials]
                for mid in targets or [None]:
                    if (p.storage_key, p.problem, mid) not in seen:
                        s.add(
                            IntegrityIssue(
                                material_id=mid, storage_key=p.storage_key, problem=p.problem, detail=p.detail
                            )
                        )
            audit.record(
                s,
                actor=None,
                action="fixity.completed",
                subject_type="blobs",
                data={
                    "checked": checked,
                    "blobs": len(keys),
                    "problems": len(problems),
                    "missing": sum(p.problem == "missing" for p in problems),
                    "mismatch": sum(p.problem == "mismatch" for p in problems),
                    "signature": sum(p.problem == "signature" for p in problems),
                },
            )
