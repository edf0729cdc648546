"""``StoreBase``: the session lives on the instance (house style), SQL lives in stores only."""

from __future__ import annotations

from typing import Generic, Self, TypeVar

from sqlalchemy.orm import Session

from repository.db import Base

M = TypeVar("M", bound=Base)


class StoreBase(Generic[M]):
    model: type[M]

    def __init__(self, session: Session) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: Session) -> Self:
        return cls(session)

    def get(self, id: str) -> M | None:
        return self.session.get(self.model, id)

    def add(self, obj: M) -> M:
        self.session.add(obj)
        self.session.flush()
        return obj
