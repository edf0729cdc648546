"""LTI 1.3 end to end against a real LMS-side platform run by the test.

The platform has its own RSA key and serves its JWKS over HTTP on the loopback; Hoclieu fetches
it to verify launches. The test drives OIDC login → launch → (resource link) the framed viewer,
and (deep linking) search → pick → Hoclieu's signed LtiDeepLinkingResponse, which the platform
verifies against Hoclieu's own ``/lti/jwks``. Bad signatures, a wrong audience, an expired token
and a replayed launch are refused with a clear page.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm

from search.service import close_backend
from tests.factories import token_for
from tests.search.helpers import populate

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CLIENT_ID = "hoclieu-tool-01"
DEPLOYMENT = "trien-khai-1"
BASE = "https://hoclieu.test"


class Platform:
    """A small LMS: signs id_tokens with its RSA key and serves the public half at /jwks."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "lms-key-1"
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key())) | {
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
        }
        self.jwks_fetches = 0
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/jwks":
                    self.send_response(404)
                    self.end_headers()
                    return
                platform.jwks_fetches += 1
                body = json.dumps({"keys": [jwk]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def id_token(self, nonce: str, message_type: str, *, key: Any = None, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "hs-1234",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT,
            LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
        }
        claims.update(overrides)
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture
def platform() -> Iterator[Platform]:
    p = Platform()
    yield p
    p.close()


@pytest.fixture
def world(runtime: Any, client: TestClient, platform: Platform) -> Iterator[dict[str, str]]:
    runtime.settings.base_url = BASE
    ids = populate(runtime)  # searchable public materials, and the admin quan_tri
    admin = token_for(client, "quan_tri")
    registered = client.post(
        "/api/v1/admin/lti/platforms",
        headers=admin,
        json={
            "name": "Moodle trường THCS",
            "issuer": platform.issuer,
            "client_id": CLIENT_ID,
            "deployment_ids": [DEPLOYMENT],
            "auth_login_url": f"{platform.issuer}/auth",
            "jwks_url": f"{platform.issuer}/jwks",
        },
    )
    assert registered.status_code == 201, registered.text
    yield ids
    close_backend(runtime.settings)


def login(client: TestClient, platform: Platform, target: str = f"{BASE}/lti/launch") -> dict[str, str]:
    """The platform starts a launch; returns the state and nonce Hoclieu sent to its auth URL."""
    r = client.get(
        "/lti/login",
        params={
            "iss": platform.issuer,
            "login_hint": "hs-1234",
            "target_link_uri": target,
            "lti_message_hint": "ctx-42",
            "client_id": CLIENT_ID,
        },
        follow_redirects=False,
    )
    assert r.status_code == 302, r.text
    location = urlsplit(r.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{platform.issuer}/auth"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["redirect_uri"] == f"{BASE}/lti/launch" and query["client_id"] == CLIENT_ID
    assert query["response_mode"] == "form_post" and query["scope"] == "openid"
    assert query["lti_message_hint"] == "ctx-42"
    return query


def launch(client: TestClient, state: str, token: str) -> Any:
    return client.post(
        "/lti/launch",
        data={"id_token": token, "state": state},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )


class TestResourceLink:
    def test_login_launch_and_the_framed_viewer(
        self, client: TestClient, platform: Platform, world: dict[str, str]
    ) -> None:
        material = world["phan-so-5"]
        q = login(client, platform)
        token = platform.id_token(
            q["nonce"],
            "LtiResourceLinkRequest",
            **{LTI + "custom": {"material_id": material}, LTI + "resource_link": {"id": "rl-1"}},
        )
        r = launch(client, q["state"], token)
        assert r.status_code == 303 and r.headers["location"] == f"/lti/view/{material}"
        assert platform.jwks_fetches == 1  # Hoclieu fetched the platform's keys over HTTP
        page = client.get(r.headers["location"], headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "<video" in page.text or 'class="viewer"' in page.text
        assert 'class="site"' not in page.text  # no portal header/footer inside the LMS frame
        policy = page.headers["content-security-policy"]
        assert policy.endswith(f"; frame-ancestors 'self' {platform.issuer}")
        assert "script-src 'self' 'nonce-" in policy  # the portal's policy, only the framing differs

    @pytest.mark.parametrize(
        ("case", "message"),
        [
            ("bad_signature", "signature does not verify"),
            ("wrong_audience", "meant for another tool"),
            ("expired", "has expired"),
            ("wrong_nonce", "nonce does not match"),
            ("unknown_deployment", "deployment"),
        ],
    )
    def test_refused_launches(
        self, client: TestClient, platform: Platform, world: dict[str, str], case: str, message: str
    ) -> None:
        q = login(client, platform)
        now = int(time.time())
        custom = {LTI + "custom": {"material_id": world["phan-so-5"]}}
        token = {
            "bad_signature": lambda: platform.id_token(
                q["nonce"],
                "LtiResourceLinkRequest",
                key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
                **custom,
            ),
            "wrong_audience": lambda: platform.id_token(
                q["nonce"], "LtiResourceLinkRequest", aud="another-tool", **custom
            ),
            "expired": lambda: platform.id_token(
                q["nonce"], "LtiResourceLinkRequest", iat=now - 900, exp=now - 600, **custom
            ),
            "wrong_nonce": lambda: platform.id_token("not-the-nonce", "LtiResourceLinkRequest", **custom),
            "unknown_deployment": lambda: platform.id_token(
                q["nonce"], "LtiResourceLinkRequest", **{LTI + "deployment_id": "khac"}, **custom
            ),
        }[case]()
        r = launch(client, q["state"], token)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("text/html")
        assert message in unescape(r.text)

    def test_a_replayed_launch_is_refused(
        self, client: TestClient, platform: Platform, world: dict[str, str]
    ) -> None:
        q = login(client, platform)
        token = platform.id_token(
            q["nonce"], "LtiResourceLinkRequest", **{LTI + "custom": {"material_id": world["phan-so-5"]}}
        )
        assert launch(client, q["state"], token).status_code == 303
        again = launch(client, q["state"], token)
        assert again.status_code == 401 and "replayed launch is refused" in unescape(again.text)

    def test_an_unregistered_platform_cannot_log_in(self, client: TestClient, world: dict[str, str]) -> None:
        r = client.get(
            "/lti/login",
            params={
                "iss": "https://lms.other.vn",
                "login_hint": "x",
                "target_link_uri": f"{BASE}/lti/launch",
            },
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )
        assert r.status_code == 401 and "not registered" in r.text

    def test_login_refuses_a_target_outside_hoclieu(
        self, client: TestClient, platform: Platform, world: dict[str, str]
    ) -> None:
        r = client.get(
            "/lti/login",
            params={
                "iss": platform.issuer,
                "login_hint": "x",
                "target_link_uri": "https://evil.example/phish",
            },
            follow_redirects=False,
        )
        assert r.status_code == 400 and "location" not in r.headers

    def test_a_launch_without_login_is_refused(
        self, client: TestClient, platform: Platform, world: dict[str, str]
    ) -> None:
        token = platform.id_token("n", "LtiResourceLinkRequest")
        r = launch(client, "made-up-state", token)
        assert r.status_code == 401 and "unknown state" in r.text


class TestDeepLinking:
    def test_a_teacher_searches_picks_and_the_lms_gets_a_signed_response(
        self, client: TestClient, platform: Platform, world: dict[str, str]
    ) -> None:
        q = login(client, platform)
        token = platform.id_token(
            q["nonce"],
            "LtiDeepLinkingRequest",
            **{
                LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
                DL + "deep_linking_settings": {
                    "deep_link_return_url": f"{platform.issuer}/deep-link-return",
                    "accept_types": ["ltiResourceLink"],
                    "accept_presentation_document_targets": ["iframe"],
                    "accept_multiple": True,
                    "data": "opaque-ctx-42",
                },
            },
        )
        r = launch(client, q["state"], token)
        assert r.status_code == 303 and r.headers["location"].startswith("/lti/deep-link/")
        picker = r.headers["location"]
        newest = client.get(picker, headers={"Accept": "text/html"})
        assert newest.status_code == 200
        assert len(re.findall(r'name="material" value="', newest.text)) >= 3  # the newest, before a search
        page = client.get(picker, params={"q": "phân số"}, headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert page.headers["content-security-policy"].endswith(f"; frame-ancestors 'self' {platform.issuer}")
        found = re.findall(r'name="material" value="([^"]+)"', page.text)
        assert world["phan-so-5"] in found
        picked = [world["phan-so-5"], found[-1]] if found[-1] != world["phan-so-5"] else [world["phan-so-5"]]
        answer = client.post(picker, data={"material": picked}, headers={"Accept": "text/html"})
        assert answer.status_code == 200
        # The auto-posted form may go to the LMS (form-action), and only there besides Hoclieu.
        assert f"form-action 'self' {platform.issuer};" in answer.headers["content-security-policy"]
        action = re.search(r'<form method="post" action="([^"]+)" data-autosubmit', answer.text).group(1)  # type: ignore[union-attr]
        assert unescape(action) == f"{platform.issuer}/deep-link-return"
        response_jwt = re.search(r'name="JWT" value="([^"]+)"', answer.text).group(1)  # type: ignore[union-attr]

        # The platform verifies the response with Hoclieu's published keys.
        keys = client.get("/lti/jwks").json()["keys"]
        kid = jwt.get_unverified_header(response_jwt)["kid"]
        public = jwt.PyJWK(next(k for k in keys if k["kid"] == kid)).key
        claims = jwt.decode(
            response_jwt, public, algorithms=["RS256"], audience=platform.issuer, issuer=CLIENT_ID
        )
        assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
        assert claims[LTI + "deployment_id"] == DEPLOYMENT
        assert claims[DL + "data"] == "opaque-ctx-42"
        items = claims[DL + "content_items"]
        assert [i["custom"]["material_id"] for i in items] == picked
        assert all(i["type"] == "ltiResourceLink" and i["url"] == f"{BASE}/lti/launch" for i in items)
        # A key Hoclieu does not hold does not verify it (the check above is meaningful).
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(response_jwt, other, algorithms=["RS256"], audience=platform.issuer)
        # The pick is single-use.
        assert (
            client.post(picker, data={"material": picked}, headers={"Accept": "text/html"}).status_code == 401
        )

        # The LMS launches a picked item: the custom claim names the material.
        q2 = login(client, platform)
        launch_token = platform.id_token(
            q2["nonce"], "LtiResourceLinkRequest", **{LTI + "custom": items[0]["custom"]}
        )
        assert launch(client, q2["state"], launch_token).headers["location"] == f"/lti/view/{picked[0]}"
