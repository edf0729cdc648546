"""Pydantic shapes for LTI platform registration."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

URL = r"^https?://"


class PlatformCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    issuer: str = Field(min_length=8, max_length=500, pattern=URL, description="The platform's `iss`.")
    client_id: str = Field(
        min_length=1, max_length=200, description="The client id the platform gave Hoclieu."
    )
    deployment_ids: list[str] = Field(min_length=1, max_length=100)
    auth_login_url: str = Field(
        min_length=8, max_length=2000, pattern=URL, description="OIDC authorisation URL."
    )
    auth_token_url: str = Field("", max_length=2000, description="OAuth token URL (LTI Advantage services).")
    jwks_url: str = Field(
        min_length=8, max_length=2000, pattern=URL, description="The platform's public keys."
    )


class PlatformRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    auth_token_url: str
    jwks_url: str
    created_at: datetime
