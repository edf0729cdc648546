"""Pydantic shapes for API clients (vendors' software) and their webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Every scope a client can hold, with what it allows. Tokens carry a subset.
SCOPES: dict[str, str] = {
    "materials:read": "read materials, files, metadata, search and the curriculum vocabularies",
    "materials:write": "upload materials, edit, submit and withdraw the client's own materials",
    "harvest": "harvest metadata over OAI-PMH",
    "stats:read": "read usage statistics",
}

# Events a webhook can subscribe to.
EVENTS: dict[str, str] = {
    "material.published": "a material became public (its first approved version)",
    "material.updated": "a public material's new version was approved",
    "material.taken_down": "a public material was withdrawn from public view",
}


class ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="The application's name.")
    organisation: str = Field("", max_length=300, description="Who runs it (free text for now).")
    scopes: list[str] = Field(min_length=1, max_length=len(SCOPES), description=", ".join(SCOPES))


class ClientUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    organisation: str | None = Field(None, max_length=300)
    scopes: list[str] | None = Field(None, min_length=1, max_length=len(SCOPES))
    disabled: bool | None = None


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="The OAuth client_id.")
    name: str
    organisation: str
    scopes: list[str]
    disabled: bool
    created_at: datetime
    secret_created_at: datetime
    user_id: str = Field(description="The client's service account: owner of what it uploads.")


class ClientCreated(ClientRead):
    client_secret: str = Field(description="Shown once; only its hash is stored.")


class OAuthToken(BaseModel):
    """RFC 6749 §5.1 access token response."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str


class WebhookCreate(BaseModel):
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://", description="http(s) URL.")
    events: list[str] = Field(min_length=1, max_length=len(EVENTS), description=", ".join(EVENTS))


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    client_id: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The HMAC-SHA256 key of the signatures; shown once.")


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    subscription_id: str
    event: str
    event_id: str
    status: str
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]
