"""Roles rank ``student < teacher < curator < admin``: a role includes the ones below it."""

from __future__ import annotations

from repository.models import Role, User


def has_role(user: User | None, minimum: Role) -> bool:
    """Whether an enabled account holds ``minimum`` or a role above it."""
    return user is not None and not user.disabled and Role(user.role).rank >= minimum.rank
