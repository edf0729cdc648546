"""Organisations that contribute materials (pedagogy faculties, provincial departments, schools ...).

An :class:`Organisation` has a team: each :class:`OrganisationMember` is an account with a role
inside the organisation (``member`` contributes in its name, ``curator`` reviews its submissions,
``manager`` also invites and removes members). A material names its contributing organisation in
``materials.organisation_id`` (NULL: an individual's material), which the exports publish as its
publisher and search offers as the ``organisation`` facet.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models.base import created_column, id_column
from repository.models.user import User


class OrganisationKind(enum.StrEnum):
    university = "university"  # a university or its pedagogy faculty
    department = "department"  # a provincial department of education (Sở GD&ĐT)
    school = "school"
    publisher = "publisher"
    other = "other"


class MemberRole(enum.StrEnum):
    member = "member"
    curator = "curator"
    manager = "manager"

    @property
    def rank(self) -> int:
        return {"member": 0, "curator": 1, "manager": 2}[self.value]


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(
            "kind in ('university','department','school','publisher','other')", name="kind_known"
        ),
    )

    id: Mapped[str] = id_column()
    # URL name (``/o/<slug>``, the search filter value, the OAI set ``org:<slug>``): a-z, 0-9, '-'.
    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    url: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    created_at: Mapped[datetime] = created_column()

    members: Mapped[list[OrganisationMember]] = relationship(
        back_populates="organisation", lazy="raise", cascade="all, delete-orphan"
    )


class OrganisationMember(Base):
    __tablename__ = "organisation_members"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id", name="uq_organisation_members_pair"),
        CheckConstraint("role in ('member','curator','manager')", name="role_known"),
    )

    id: Mapped[str] = id_column()
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    added_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()

    organisation: Mapped[Organisation] = relationship(back_populates="members", lazy="raise")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")
