"""Fixtures for the attack tests: people with tokens, a portal client that keeps Secure cookies, and a
small world of a teacher's public, submitted and draft materials (with a file of a version still in
progress on the public one)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.curation.decisions import reviews
from repository.curation.schemas import Decision
from repository.curation.version_files import version_files
from repository.curation.workflow import workflow
from repository.material.service import NewFile
from repository.material.service import material as material_service
from repository.models import Role, User
from repository.signing import signer_for
from repository.uow import UnitOfWork
from repository.user.service import user as user_service
from tests.factories import PASSWORD, make_user, token_for
from tests.repository.curation.helpers import MATH_5, RUBRIC_OK, finish_ingest, person


@pytest.fixture
def portal_client(app: Any) -> Iterator[TestClient]:
    """The app as a browser sees it: ``https://`` so the Secure session and CSRF cookies come back."""
    with TestClient(app, base_url="https://testserver") as c:
        c.headers["Accept"] = "text/html"
        yield c


@pytest.fixture
def people(runtime: Any, client: TestClient) -> dict[str, dict[str, str]]:
    """A teacher and an admin, each with a bearer token header."""
    make_user(runtime, "co_lan", Role.teacher)
    make_user(runtime, "quan_tri", Role.admin)
    return {name: token_for(client, name) for name in ("co_lan", "quan_tri")}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def portal_sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/signin")
    return client.post(
        "/signin",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


@dataclass
class World:
    ids: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def stored(runtime: Any, filename: str, data: bytes, media_type: str = "application/octet-stream") -> NewFile:
    staged = runtime.blobs.stage()
    staged.write(data)
    return NewFile(filename=filename, blob=staged.commit(), media_type=media_type)


def build(runtime: Any, files: dict[str, bytes]) -> World:
    """``files`` become one public material each (approved by a curator), keyed by file name."""
    w = World()
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        teacher = person(s, "co_lan", Role.teacher)
        curator = person(s, "thay_toan", Role.curator, MATH_5)
        admin = person(s, "quan_tri", Role.admin)
        for role, u in (("teacher", teacher), ("curator", curator), ("admin", admin)):
            w.tokens[role], _ = user_service.issue_token(s, u, ttl=timedelta(hours=1), name="t")
            w.ids[f"user_{role}"] = u.id
        meta = {"title": "Phân số", **MATH_5}
        for name, data in files.items():
            m = material_service.create(s, teacher, metadata=meta, files=[stored(runtime, name, data)])
            finish_ingest(s, m)
            workflow.submit(s, teacher, m.id)
            reviews.decide(
                s, curator, m.id, decision=Decision.approve, comment=None, rubric=RUBRIC_OK,
                signer=signer_for(runtime.settings),
            )
            w.ids[name] = m.id
            w.ids[f"file:{name}"] = m.files[0].id
        sub = material_service.create(s, teacher, metadata=meta, files=[stored(runtime, "nop.pdf", b"%PDF-1.4 sub")])
        finish_ingest(s, sub)
        workflow.submit(s, teacher, sub.id)
        w.ids.update(sub=sub.id, sub_file=sub.files[0].id)
        draft = material_service.create(s, teacher, metadata=meta, files=[stored(runtime, "nhap.pdf", b"%PDF-1.4 d")])
        w.ids.update(draft=draft.id, draft_file=draft.files[0].id)
        s.flush()
    return w


@pytest.fixture
def world(runtime: Any) -> World:
    from tests.security.payloads import PASSIVE

    files = {"cong-khai.pdf": b"%PDF-1.4 public"} | {k: v for k, (v, _) in PASSIVE.items()}
    w = build(runtime, files)
    # Version 2 of the public PDF gets a file: private until that version is approved.
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        owner = s.get(User, w.ids["user_teacher"])
        extra = stored(runtime, "dap-an.pdf", b"%PDF-1.4 answers")
        version_files.add_files(s, owner, w.ids["cong-khai.pdf"], files=[extra])
        s.flush()
        m = material_service.get(s, owner, w.ids["cong-khai.pdf"])
        w.ids["next_file"] = next(f.id for f in m.files if f.filename == "dap-an.pdf")
    return w
