"""Webhooks end to end: a real HTTP receiver on the loopback checks every signature.

Events come from the real workflow (approval, new approved version, takedown), deliveries run
through the job queue (``JobRunner``), and one receiver fails twice before it accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.curation.decisions import reviews
from repository.curation.schemas import Decision
from repository.curation.workflow import workflow
from repository.jobs import JobRunner
from repository.models import Role
from repository.signing import signer_for
from repository.uow import UnitOfWork
from tests.factories import create_material, make_user, token_for
from tests.repository.curation.helpers import MATH_5, RUBRIC_OK, finish_ingest, person, submit_and_approve


class Receiver:
    """A webhook receiver: verifies the HMAC and the timestamp; answers 500 ``fail_first`` times."""

    def __init__(self, fail_first: int = 0) -> None:
        self.secret = ""
        self.fail_first = fail_first
        self.calls: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers["Hoclieu-Webhook-Timestamp"]
                expected = (
                    "v1="
                    + hmac.new(
                        receiver.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
                    ).hexdigest()
                )
                valid = hmac.compare_digest(expected, self.headers["Hoclieu-Webhook-Signature"])
                fresh = abs(time.time() - int(stamp)) < 300
                receiver.calls.append(
                    {
                        "valid": valid and fresh,
                        "id": self.headers["Hoclieu-Webhook-Id"],
                        "event": json.loads(body),
                    }
                )
                failing = len(receiver.calls) <= receiver.fail_first
                self.send_response(500 if failing or not valid else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fast_retries(runtime: Any) -> Any:
    runtime.settings.webhook_backoff_s = 0.2
    runtime.settings.webhook_max_attempts = 4
    runtime.settings.webhook_timeout_s = 5
    return runtime


@pytest.fixture
def admin(fast_retries: Any, client: TestClient) -> dict[str, str]:
    make_user(fast_retries, "quan_tri", Role.admin)
    return token_for(client, "quan_tri")


def subscribe(client: TestClient, admin: dict[str, str], receiver: Receiver, events: list[str]) -> str:
    vendor = client.post(
        "/api/v1/admin/clients", headers=admin, json={"name": "LMS", "scopes": ["materials:read"]}
    ).json()
    hook = client.post(
        f"/api/v1/admin/clients/{vendor['id']}/webhooks",
        headers=admin,
        json={"url": receiver.url, "events": events},
    )
    assert hook.status_code == 201, hook.text
    receiver.secret = hook.json()["secret"]
    return str(vendor["id"])


def publish(runtime: Any, title: str = "Phân số") -> str:
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        teacher = person(s, "co_lan", Role.teacher)
        curator = person(s, "thay_toan", Role.curator, MATH_5)
        material = create_material(s, runtime, teacher, title=title, metadata=MATH_5)
        finish_ingest(s, material)
        submit_and_approve(s, runtime.settings, teacher, curator, material)
        return str(material.id)


def run_jobs_until(runtime: Any, done: Any, *, timeout: float = 30) -> None:
    """Run due jobs (as a worker would) until ``done()``; bounded."""
    runner = JobRunner(runtime.db, name="test")
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "deliveries did not finish"
        runner.run_until_empty()
        time.sleep(0.05)


class TestDeliveries:
    def test_a_published_material_is_delivered_signed(
        self, fast_retries: Any, client: TestClient, admin: dict[str, str]
    ) -> None:
        with Receiver() as receiver:
            client_id = subscribe(client, admin, receiver, ["material.published"])
            material_id = publish(fast_retries)
            run_jobs_until(fast_retries, lambda: len(receiver.calls) >= 1)
        call = receiver.calls[0]
        assert call["valid"]
        assert call["event"]["type"] == "material.published"
        assert call["event"]["id"] == call["id"]
        assert call["event"]["data"]["material_id"] == material_id
        assert call["event"]["data"]["api_url"].endswith(f"/api/v1/materials/{material_id}")
        log = client.get(f"/api/v1/admin/clients/{client_id}/deliveries", headers=admin).json()
        assert [(d["status"], d["attempts"], d["response_status"]) for d in log] == [("delivered", 1, 204)]

    def test_a_receiver_failing_twice_gets_it_on_the_third_attempt(
        self, fast_retries: Any, client: TestClient, admin: dict[str, str]
    ) -> None:
        with Receiver(fail_first=2) as receiver:
            client_id = subscribe(client, admin, receiver, ["material.published"])
            publish(fast_retries)
            started = time.monotonic()
            run_jobs_until(fast_retries, lambda: len(receiver.calls) >= 3)
            elapsed = time.monotonic() - started
        assert [c["valid"] for c in receiver.calls] == [True, True, True]
        assert len({c["id"] for c in receiver.calls}) == 1  # one event, three attempts
        assert elapsed >= 0.2 + 0.4  # backoff 0.2 s, then 0.4 s
        log = client.get(f"/api/v1/admin/clients/{client_id}/deliveries", headers=admin).json()
        assert [(d["status"], d["attempts"], d["response_status"]) for d in log] == [("delivered", 3, 204)]

    def test_a_dead_receiver_ends_failed_and_can_be_resent(
        self, fast_retries: Any, client: TestClient, admin: dict[str, str]
    ) -> None:
        with Receiver(fail_first=99) as receiver:
            client_id = subscribe(client, admin, receiver, ["material.published"])
            publish(fast_retries)

            def state() -> list[Any]:
                return client.get(f"/api/v1/admin/clients/{client_id}/deliveries", headers=admin).json()

            run_jobs_until(fast_retries, lambda: state()[0]["status"] == "failed")
            failed = state()[0]
            assert failed["attempts"] == 4 and failed["last_error"].startswith("HTTP 500")
            receiver.fail_first = 0
            again = client.post(f"/api/v1/admin/webhook-deliveries/{failed['id']}/resend", headers=admin)
            assert again.status_code == 202 and again.json()["event_id"] == failed["event_id"]
            run_jobs_until(fast_retries, lambda: state()[0]["status"] == "delivered")
        assert receiver.calls[-1]["valid"] and receiver.calls[-1]["id"] == failed["event_id"]
        assert len(receiver.calls) == 5

    def test_updated_and_taken_down(
        self, fast_retries: Any, client: TestClient, admin: dict[str, str]
    ) -> None:
        with Receiver() as receiver:
            subscribe(client, admin, receiver, ["material.updated", "material.taken_down"])
            material_id = publish(fast_retries)
            with UnitOfWork(fast_retries.db) as uow:
                s = uow.session
                from repository.user.service import user as user_service

                teacher = user_service.get_by_username(s, "co_lan")
                curator = user_service.get_by_username(s, "thay_toan")
                assert teacher is not None and curator is not None
                workflow.edit(s, teacher, material_id, changes={"title": "Phân số (bản 2)"})
                workflow.submit(s, teacher, material_id)
                reviews.decide(
                    s,
                    curator,
                    material_id,
                    decision=Decision.approve,
                    comment=None,
                    rubric=RUBRIC_OK,
                    signer=signer_for(fast_retries.settings),
                )
            with UnitOfWork(fast_retries.db) as uow:
                teacher = user_service.get_by_username(uow.session, "co_lan")
                assert teacher is not None
                workflow.takedown(uow.session, teacher, material_id, reason="Sai đáp án")
            run_jobs_until(fast_retries, lambda: len(receiver.calls) >= 2)
        events = sorted((c["event"]["type"], c["event"]["data"]["version"]) for c in receiver.calls)
        assert events == [("material.taken_down", 2), ("material.updated", 2)]
        assert all(c["valid"] for c in receiver.calls)


class TestRefusals:
    def test_only_http_urls_and_known_events(self, client: TestClient, admin: dict[str, str]) -> None:
        vendor = client.post(
            "/api/v1/admin/clients", headers=admin, json={"name": "LMS", "scopes": ["harvest"]}
        ).json()
        url = f"/api/v1/admin/clients/{vendor['id']}/webhooks"
        bad_url = client.post(
            url, headers=admin, json={"url": "file:///etc/passwd", "events": ["material.published"]}
        )
        assert bad_url.status_code == 422
        bad_event = client.post(
            url, headers=admin, json={"url": "https://lms.vn/h", "events": ["user.created"]}
        )
        assert bad_event.status_code == 422 and "user.created" in bad_event.json()["error"]["message"]

    def test_a_redirect_is_not_followed(
        self, fast_retries: Any, client: TestClient, admin: dict[str, str]
    ) -> None:
        """The signed event goes to the registered URL only: a 3xx is a failed attempt."""
        with Receiver() as target:

            class Redirecting(BaseHTTPRequestHandler):
                def do_POST(self) -> None:
                    self.send_response(307)
                    self.send_header("Location", target.url)
                    self.end_headers()

                def log_message(self, *args: Any) -> None:
                    pass

            server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                redirector = Receiver()
                redirector.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
                client_id = subscribe(client, admin, redirector, ["material.published"])
                fast_retries.settings.webhook_max_attempts = 1
                publish(fast_retries)

                def log() -> list[Any]:
                    return client.get(f"/api/v1/admin/clients/{client_id}/deliveries", headers=admin).json()

                run_jobs_until(fast_retries, lambda: log()[0]["status"] == "failed")
            finally:
                server.shutdown()
                server.server_close()
                redirector.server.server_close()
        assert target.calls == []
        assert log()[0]["response_status"] == 307
