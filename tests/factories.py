"""Typed factories: each takes the session first and commits nothing itself."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from repository.models import Material, MaterialFile, Role, User, WorkflowState
from repository.runtime import Runtime
from repository.uow import UnitOfWork
from repository.user.schemas import UserCreate
from repository.user.service import user as user_service

PASSWORD = "mat-khau-rat-dai-1"


def create_user(
    session: Session, *, username: str = "co_lan", role: Role = Role.teacher, password: str | None = PASSWORD
) -> User:
    return user_service.create(session, UserCreate(username=username, role=role, password=password))


def make_user(runtime: Runtime, username: str = "co_lan", role: Role = Role.teacher) -> str:
    """Create and commit a user; returns its id."""
    with UnitOfWork(runtime.db) as uow:
        return create_user(uow.session, username=username, role=role).id


def token_for(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def upload(
    client: TestClient,
    headers: dict[str, str],
    files: list[tuple[str, bytes, str]],
    metadata: dict[str, Any] | str | None = None,
) -> Any:
    import json

    parts: list[tuple[str, Any]] = [("file", (name, data, ctype)) for name, data, ctype in files]
    if metadata is not None:
        parts.append(("metadata", (None, metadata if isinstance(metadata, str) else json.dumps(metadata))))
    return client.post("/api/v1/materials", headers=headers, files=parts)


def create_material(
    session: Session,
    runtime: Runtime,
    owner: User,
    *,
    title: str = "Phân số",
    state: WorkflowState = WorkflowState.draft,
    content: bytes = b"%PDF-1.4 test",
    filename: str = "phan-so.pdf",
    metadata: dict[str, Any] | None = None,
) -> Material:
    from repository.material.service import NewFile
    from repository.material.service import material as material_service

    staged = runtime.blobs.stage()
    staged.write(content)
    blob = staged.commit()
    meta = {"title": title, **(metadata or {})}
    return material_service.create(
        session,
        owner,
        metadata=meta,
        state=state,
        files=[NewFile(filename=filename, blob=blob, media_type="application/pdf")],
    )


def read_file(runtime: Runtime, file_id: str) -> MaterialFile:
    """The file as it is now, with its derivatives loaded (read in a session of its own)."""
    with runtime.db.read() as s:
        f = s.scalar(
            select(MaterialFile).options(selectinload(MaterialFile.derivatives)).where(MaterialFile.id == file_id)
        )
        assert f is not None
        return f
