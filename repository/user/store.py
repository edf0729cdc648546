from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from repository.models import ApiToken, User
from repository.store import StoreBase


class UserStore(StoreBase[User]):
    model = User

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(select(User).where(func.lower(User.username) == username.lower()))

    def list(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.username)))


class TokenStore(StoreBase[ApiToken]):
    model = ApiToken

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return self.session.scalar(
            select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == token_hash)
        )
