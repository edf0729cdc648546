from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from repository.models import Role


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=150, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    password: str | None = Field(None, min_length=8, max_length=1000)
    display_name: str = ""
    scope: dict[str, Any] = Field(default_factory=dict)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    username: str
    display_name: str
    role: str
    disabled: bool
    created_at: datetime


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime | None = None
