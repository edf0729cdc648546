"""SQL for LTI platforms and launches."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from repository.models import LtiLaunch, LtiPlatform
from repository.store import StoreBase


class PlatformStore(StoreBase[LtiPlatform]):
    model = LtiPlatform

    def list(self) -> list[LtiPlatform]:
        return list(
            self.session.scalars(select(LtiPlatform).order_by(LtiPlatform.created_at, LtiPlatform.id))
        )

    def by_issuer(self, issuer: str, client_id: str | None) -> builtins.list[LtiPlatform]:
        stmt = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
        if client_id:
            stmt = stmt.where(LtiPlatform.client_id == client_id)
        return list(self.session.scalars(stmt))

    def launch(self, state: str) -> LtiLaunch | None:
        return self.session.scalar(
            select(LtiLaunch).options(joinedload(LtiLaunch.platform)).where(LtiLaunch.id == state)
        )

    def launch_for_update(self, state: str) -> LtiLaunch | None:
        stmt = select(LtiLaunch).options(joinedload(LtiLaunch.platform)).where(LtiLaunch.id == state)
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(of=LtiLaunch)
        return self.session.scalar(stmt)

    def add_launch(self, launch: LtiLaunch) -> LtiLaunch:
        self.session.add(launch)
        self.session.flush()
        return launch

    def purge_expired(self, now: datetime) -> None:
        self.session.execute(delete(LtiLaunch).where(LtiLaunch.expires_at < now))
