"""Attacks on sign-in: lockout bypasses, concurrent guessing, disabled accounts, stolen sessions.

Before (wave 1): the lockout counted audit rows keyed on the raw username, checked *before* the
password and recorded *after* it, so ``CO_LAN`` had its own counter and 30 parallel guesses all
passed the check; a disabled account with the right password answered 403 ("disabled"), telling
an attacker the password was right, and did not count; nothing changed a password.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from repository.models import ApiToken, AuditEvent, Role, SignInThrottle
from repository.uow import UnitOfWork
from repository.user.signin import address_key, username_key
from tests.factories import PASSWORD, make_user, token_for
from tests.security.conftest import csrf_of, portal_sign_in
from tests.servers import start_server, stop_server

WRONG = "sai-mat-khau-roi"


def _token(client: TestClient, username: str, password: str) -> httpx2.Response:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


class TestLockoutKey:
    def test_case_width_and_spaces_do_not_give_a_fresh_counter(
        self, runtime: Any, client: TestClient
    ) -> None:
        make_user(runtime, "co_lan", Role.teacher)
        limit = runtime.settings.signin_max_failures
        # Each spelling is the same account to the lookup, so it must be the same counter.
        spellings = ["co_lan", "CO_LAN", " Co_Lan ", "\uff43\uff4f\uff3f\uff4c\uff41\uff4e", "co_lan\t"]
        answers = [_token(client, spellings[i % len(spellings)], WRONG).status_code for i in range(limit)]
        assert answers == [401] * limit
        for spelling in spellings:
            assert _token(client, spelling, PASSWORD).status_code == 429
        # The full-width spelling really is the same account (right password, before the lockout).
        make_user(runtime, "thay_ba", Role.teacher)
        assert _token(client, "\uff54\uff48\uff41\uff59\uff3f\uff42\uff41", PASSWORD).status_code == 200

    def test_the_lookup_and_the_key_use_one_normalisation(self) -> None:
        assert (
            username_key("CO_LAN")
            == username_key(" co_lan")
            == username_key("\uff43\uff4f\uff3f\uff4c\uff41\uff4e")
        )
        assert username_key("co_lan") != username_key("co_lam")

    def test_a_success_clears_the_username_counter(self, runtime: Any, client: TestClient) -> None:
        make_user(runtime, "co_lan", Role.teacher)
        for _ in range(runtime.settings.signin_max_failures - 1):
            assert _token(client, "co_lan", WRONG).status_code == 401
        assert _token(client, "co_lan", PASSWORD).status_code == 200
        for _ in range(runtime.settings.signin_max_failures - 1):
            assert _token(client, "co_lan", WRONG).status_code == 401

    def test_one_address_guessing_many_usernames_is_locked(self, runtime: Any, app: Any) -> None:
        runtime.settings.signin_max_failures_per_address = 4
        make_user(runtime, "co_lan", Role.teacher)
        with TestClient(app) as client:
            answers = [_token(client, f"nguoi_{i}", WRONG).status_code for i in range(6)]
            assert answers == [401, 401, 401, 401, 429, 429]
            # Even a real account's right password waits: the address is locked, not the account.
            assert _token(client, "co_lan", PASSWORD).status_code == 429
        with runtime.db.read() as s:
            row = s.get(SignInThrottle, address_key("testclient"))
        assert row is not None
        assert row.failures == 4


class TestConcurrentGuessing:
    def test_parallel_guesses_against_a_real_server_never_exceed_the_limit(self, runtime: Any) -> None:
        make_user(runtime, "co_lan", Role.teacher)
        limit = runtime.settings.signin_max_failures
        port, proc = start_server(runtime, timeout=120)
        try:
            url = f"http://127.0.0.1:{port}/api/v1/auth/token"

            def guess(i: int) -> int:
                with httpx.Client(timeout=60) as http:
                    return http.post(url, data={"username": "co_lan", "password": f"{WRONG}-{i}"}).status_code

            with ThreadPoolExecutor(max_workers=24) as pool:
                answers = list(pool.map(guess, range(40)))
            assert answers.count(401) == limit, answers  # exactly the limit got a password check
            assert answers.count(429) == 40 - limit
            with httpx.Client(timeout=60) as http:
                assert http.post(url, data={"username": "co_lan", "password": PASSWORD}).status_code == 429
        finally:
            stop_server(proc)
        with runtime.db.read() as s:
            failed = s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()
        assert len(failed) == limit

    def test_parallel_reservations_in_the_database_are_exact(self, runtime: Any) -> None:
        """The store's single statement, hammered from threads on this database (SQLite or PostgreSQL)."""
        from datetime import timedelta

        from repository.models import utcnow
        from repository.user.store import SignInThrottleStore

        def reserve(_: int) -> bool:
            now = utcnow()
            with UnitOfWork(runtime.db) as uow:
                return SignInThrottleStore.from_session(uow.session).reserve(
                    "user:race", limit=7, since=now - timedelta(minutes=15), now=now
                )

        with ThreadPoolExecutor(max_workers=8) as pool:
            taken = list(pool.map(reserve, range(40)))
        assert taken.count(True) == 7


class TestDisabledAccount:
    def test_disabled_account_answers_exactly_like_a_wrong_password_and_counts(
        self, runtime: Any, client: TestClient, people: Any
    ) -> None:
        make_user(runtime, "thay_ba", Role.teacher)
        r = client.patch("/api/v1/admin/users/thay_ba", headers=people["quan_tri"], json={"disabled": True})
        assert r.status_code == 200
        right = _token(client, "thay_ba", PASSWORD)
        wrong = _token(client, "thay_ba", WRONG)
        unknown = _token(client, "khong_co_ai", WRONG)
        assert right.status_code == wrong.status_code == unknown.status_code == 401
        assert right.json() == wrong.json() == unknown.json()
        assert right.headers.get("www-authenticate") == wrong.headers.get("www-authenticate")
        with runtime.db.read() as s:
            assert s.get(SignInThrottle, username_key("thay_ba")).failures == 2  # type: ignore[union-attr]

    def test_disabled_account_on_the_portal_looks_like_a_wrong_password(
        self, runtime: Any, client: TestClient, portal_client: TestClient, people: Any
    ) -> None:
        make_user(runtime, "thay_ba", Role.teacher)
        client.patch("/api/v1/admin/users/thay_ba", headers=people["quan_tri"], json={"disabled": True})
        right = portal_sign_in(portal_client, "thay_ba")
        wrong = portal_sign_in(portal_client, "thay_ba", WRONG)
        assert right.status_code == wrong.status_code == 401
        assert "hl_session" not in right.cookies


class TestPasswordChange:
    def test_api_change_revokes_every_other_token_and_portal_session(
        self, runtime: Any, client: TestClient, portal_client: TestClient
    ) -> None:
        make_user(runtime, "co_lan", Role.teacher)
        current = token_for(client, "co_lan")
        stolen = token_for(client, "co_lan")
        assert portal_sign_in(portal_client, "co_lan").status_code == 303
        assert portal_client.get("/teach").status_code == 200
        r = client.post(
            "/api/v1/auth/password",
            headers=current,
            json={"current_password": PASSWORD, "new_password": "mat-khau-moi-12345"},
        )
        assert r.status_code == 204, r.text
        assert client.get("/api/v1/auth/me", headers=current).status_code == 200  # this one stays
        assert client.get("/api/v1/auth/me", headers=stolen).status_code == 401
        assert portal_client.get("/teach", follow_redirects=False).status_code == 303  # back to sign-in
        assert _token(client, "co_lan", PASSWORD).status_code == 401
        assert _token(client, "co_lan", "mat-khau-moi-12345").status_code == 200
        with runtime.db.read() as s:
            events = s.scalars(select(AuditEvent.action)).all()
        assert "auth.password_changed" in events

    def test_portal_change_keeps_this_session_and_revokes_the_rest(
        self, runtime: Any, client: TestClient, portal_client: TestClient, app: Any
    ) -> None:
        make_user(runtime, "co_lan", Role.teacher)
        api_token = token_for(client, "co_lan")
        with TestClient(app, base_url="https://testserver") as other_browser:
            other_browser.headers["Accept"] = "text/html"
            assert portal_sign_in(other_browser, "co_lan").status_code == 303
            assert portal_sign_in(portal_client, "co_lan").status_code == 303
            page = portal_client.get("/account/password")
            assert page.status_code == 200
            r = portal_client.post(
                "/account/password",
                data={
                    "current_password": PASSWORD,
                    "new_password": "mat-khau-moi-12345",
                    "csrf_token": csrf_of(page.text),
                },
            )
            assert r.status_code == 200, r.text
            assert portal_client.get("/teach").status_code == 200
            assert other_browser.get("/teach", follow_redirects=False).status_code == 303
        assert client.get("/api/v1/auth/me", headers=api_token).status_code == 401

    def test_portal_change_needs_the_csrf_token(self, runtime: Any, portal_client: TestClient) -> None:
        make_user(runtime, "co_lan", Role.teacher)
        assert portal_sign_in(portal_client, "co_lan").status_code == 303
        r = portal_client.post(
            "/account/password",
            data={"current_password": PASSWORD, "new_password": "mat-khau-moi-12345"},
        )
        assert r.status_code == 403
        assert _token(portal_client, "co_lan", PASSWORD).status_code == 200  # unchanged

    def test_wrong_current_password_is_refused_and_throttled(self, runtime: Any, client: TestClient) -> None:
        make_user(runtime, "co_lan", Role.teacher)
        headers = token_for(client, "co_lan")
        body = {"current_password": WRONG, "new_password": "mat-khau-moi-12345"}
        answers = [
            client.post("/api/v1/auth/password", headers=headers, json=body).status_code
            for _ in range(runtime.settings.signin_max_failures + 1)
        ]
        assert answers == [401] * runtime.settings.signin_max_failures + [429]
        with runtime.db.read() as s:
            live = s.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))).all()
        assert len(live) == 1  # nothing was revoked by the refused attempts

    @pytest.mark.parametrize(
        ("new", "status"), [("ngan", 422), (PASSWORD, 422), ("mat-khau\x00moi-1234", 400)]
    )
    def test_bad_new_passwords_are_refused(
        self, runtime: Any, client: TestClient, new: str, status: int
    ) -> None:
        make_user(runtime, "co_lan", Role.teacher)
        headers = token_for(client, "co_lan")
        r = client.post(
            "/api/v1/auth/password", headers=headers, json={"current_password": PASSWORD, "new_password": new}
        )
        assert r.status_code == status, r.text
        assert r.json()["error"]["code"]

    def test_anonymous_cannot_change_a_password(self, client: TestClient) -> None:
        r = client.post("/api/v1/auth/password", json={"current_password": "x", "new_password": "y" * 10})
        assert r.status_code == 401


class TestThrottleTable:
    def test_idle_counters_are_forgotten(self, runtime: Any) -> None:
        from datetime import timedelta

        from repository.models import utcnow
        from repository.user.store import SignInThrottleStore

        now = utcnow()
        with UnitOfWork(runtime.db) as uow:
            store = SignInThrottleStore.from_session(uow.session)
            store.reserve("user:old", limit=5, since=now - timedelta(days=2), now=now - timedelta(days=1))
            store.reserve("user:new", limit=5, since=now - timedelta(minutes=15), now=now)
            assert store.forget_before(now - timedelta(minutes=15)) == 1
            assert store.failures("user:old") == 0
            assert store.failures("user:new") == 1
