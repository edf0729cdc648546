from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from repository.models import ApiToken, AuditEvent, Role, utcnow
from tests.factories import make_user, token_for


class TestToken:
    def test_password_gives_a_working_bearer_token(self, runtime, client: TestClient) -> None:  # type: ignore[no-untyped-def]
        make_user(runtime, "co_lan", Role.teacher)
        r = client.post("/api/v1/auth/token", data={"username": "co_lan", "password": "mat-khau-rat-dai-1"})
        assert r.status_code == 200
        body = r.json()
        assert body["token_type"] == "bearer"
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["username"] == "co_lan"
        with runtime.db.read() as s:
            stored = s.scalars(select(ApiToken.token_hash)).all()
        assert body["access_token"] not in stored  # only the hash is kept

    def test_wrong_password_is_401_and_audited(self, runtime, client: TestClient) -> None:  # type: ignore[no-untyped-def]
        make_user(runtime, "co_lan", Role.teacher)
        r = client.post("/api/v1/auth/token", data={"username": "co_lan", "password": "sai-mat-khau"})
        assert r.status_code == 401
        assert r.json()["error"]["message"] == "incorrect username or password"
        unknown = client.post("/api/v1/auth/token", data={"username": "ai_do", "password": "sai-mat-khau"})
        assert unknown.json() == r.json()  # does not reveal which usernames exist
        with runtime.db.read() as s:
            actions = s.scalars(select(AuditEvent.action)).all()
        assert actions.count("auth.sign_in_failed") == 2

    def test_missing_form_fields_is_422(self, client: TestClient) -> None:
        r = client.post("/api/v1/auth/token", data={"username": "co_lan"})
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["field"] == "password"

    def test_expired_token_is_refused(self, runtime, client: TestClient) -> None:  # type: ignore[no-untyped-def]
        make_user(runtime, "co_lan", Role.teacher)
        headers = token_for(client, "co_lan")
        with runtime.db.session() as s, s.begin():
            s.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        r = client.get("/api/v1/auth/me", headers=headers)
        assert r.status_code == 401
        assert "expired" in r.json()["error"]["message"]
