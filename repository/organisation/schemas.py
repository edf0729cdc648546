"""Pydantic shapes of organisations and their members (API bodies and answers)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from repository.models import MemberRole, OrganisationKind

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"


class OrganisationCreate(BaseModel):
    slug: str = Field(
        min_length=2,
        max_length=80,
        pattern=SLUG_PATTERN,
        description="URL name: lowercase letters a-z, digits and '-' (e.g. 'dhsp-ha-noi').",
    )
    name: str = Field(min_length=2, max_length=300)
    kind: OrganisationKind
    description: str = Field("", max_length=5000)
    url: str = Field("", max_length=500, pattern=r"^(https?://\S+)?$")


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    slug: str
    name: str
    kind: OrganisationKind
    description: str
    url: str
    created_at: datetime


class MemberAdd(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    role: MemberRole = MemberRole.member


class MemberUpdate(BaseModel):
    role: MemberRole


class MemberRead(BaseModel):
    username: str
    display_name: str
    role: MemberRole
    account_role: str = Field(description="The account's own role (teacher, curator ...).")
    added_at: datetime


class CountGroup(BaseModel):
    """Materials of one grade and subject inside an organisation's page."""

    grade: int | None = Field(description="None: materials without a grade.")
    subject: str | None
    subject_label: str
    count: int
    materials: list[dict[str, str]] = Field(description="The newest few: {'id', 'title'}.")


class OrganisationPage(BaseModel):
    """The public page: the organisation and its approved materials by grade and subject."""

    organisation: OrganisationRead
    total: int = Field(description="Approved materials contributed by the organisation.")
    members: int
    by_grade: dict[str, int] = Field(description="Approved materials per grade ('' = no grade).")
    groups: list[CountGroup]
