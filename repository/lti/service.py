"""LTI 1.3 tool: platform registration, OIDC third-party login, launch validation, Deep Linking 2.0.

A small implementation on PyJWT (RS256, JWKS fetching with a cache) rather than pylti1p3: that
library is built around Django/Flask request, cookie and session adapters and would need a
FastAPI adapter layer of about the same size as this module, while the protocol steps below are
few and each is tested against a real platform (tests/web/test_lti.py).

Flow (IMS Security Framework 1.0, LTI Core 1.3, Deep Linking 2.0)::

    LMS ──GET/POST /lti/login (iss, login_hint, target_link_uri)──▶ Hoclieu
    Hoclieu ──302 auth_login_url?state&nonce&redirect_uri=/lti/launch──▶ LMS
    LMS ──POST /lti/launch (id_token signed by the LMS, state)──▶ Hoclieu
        verified: signature (LMS JWKS), iss, aud (= our client id), exp, nonce (= the state's),
        deployment id, version; each state is single-use (replays are refused)
    resource link  → the material's viewer, framed by registered platforms only
    deep linking   → the teacher searches and picks → an LtiDeepLinkingResponse JWT signed by
                     Hoclieu's key (/lti/jwks), auto-posted back to the LMS
"""

from __future__ import annotations

import builtins
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from sqlalchemy.orm import Session

from repository.audit.service import audit
from repository.config import Settings
from repository.errors import BadRequest, NotAuthenticated, PermissionDenied
from repository.lti import keys
from repository.lti.schemas import PlatformCreate
from repository.lti.store import PlatformStore
from repository.models import LtiLaunch, LtiPlatform, Material, Role, User, utcnow
from repository.policy.roles import has_role

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
CLOCK_SKEW_S = 30


class LtiRefused(NotAuthenticated):
    """A launch that does not verify. Rendered as a page saying why (never a 500)."""

    code = "lti_refused"


@dataclass(frozen=True)
class LaunchOutcome:
    kind: str  # "resource" or "deep_link"
    material_id: str | None = None
    pick_id: str | None = None  # the deep-linking pick session


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class _JwksCache:
    """One PyJWKClient per JWKS URL (it caches keys and refetches on an unknown ``kid``)."""

    def __init__(self) -> None:
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def key_for(self, jwks_url: str, token: str) -> Any:
        with self._lock:
            client = self._clients.get(jwks_url)
            if client is None:
                client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)
                self._clients[jwks_url] = client
        return client.get_signing_key_from_jwt(token).key


_jwks = _JwksCache()


class LtiService:
    # --- platforms (admins) ----------------------------------------------------------------------

    def register(
        self, session: Session, actor: User, data: PlatformCreate, *, ip: str | None = None
    ) -> LtiPlatform:
        if not has_role(actor, Role.admin):
            raise PermissionDenied("only admins can register LTI platforms")
        store = PlatformStore.from_session(session)
        if store.by_issuer(data.issuer, data.client_id):
            from repository.errors import Conflict

            raise Conflict("this platform (issuer and client id) is already registered")
        platform = store.add(LtiPlatform(**data.model_dump()))
        audit.record(
            session,
            actor=actor,
            action="lti.platform_registered",
            subject_type="lti_platform",
            subject_id=platform.id,
            data={"issuer": data.issuer, "client_id": data.client_id, "name": data.name},
            ip=ip,
        )
        return platform

    def list(self, session: Session, actor: User) -> list[LtiPlatform]:
        if not has_role(actor, Role.admin):
            raise PermissionDenied("only admins can see LTI platforms")
        return PlatformStore.from_session(session).list()

    def frame_ancestors(self, session: Session) -> builtins.list[str]:
        """Origins allowed to frame Hoclieu's LTI pages: the registered platforms'."""
        found: set[str] = set()
        for p in PlatformStore.from_session(session).list():
            found.update({origin(p.issuer), origin(p.auth_login_url)})
        return sorted(found)

    # --- OIDC third-party login -----------------------------------------------------------------

    def login(self, session: Session, settings: Settings, params: dict[str, str]) -> str:
        """Start a launch: remember a state and nonce; return the platform's authorisation URL."""
        if any("\x00" in k or "\x00" in v for k, v in params.items()):
            raise BadRequest("the login parameters contain a NUL character")
        issuer, hint, target = params.get("iss"), params.get("login_hint"), params.get("target_link_uri")
        if not issuer or not hint or not target:
            raise BadRequest("an LTI login needs iss, login_hint and target_link_uri")
        matches = PlatformStore.from_session(session).by_issuer(issuer, params.get("client_id"))
        if len(matches) != 1:
            raise LtiRefused("this learning platform is not registered with Hoclieu (ask an admin)")
        platform = matches[0]
        base = settings.base_url.rstrip("/")
        if origin(target) != origin(base):
            raise BadRequest("target_link_uri must be a Hoclieu address")
        now = utcnow()
        store = PlatformStore.from_session(session)
        store.purge_expired(now)
        launch = store.add_launch(
            LtiLaunch(
                id=secrets.token_urlsafe(32),
                nonce=secrets.token_urlsafe(32),
                platform_id=platform.id,
                target_link_uri=target,
                expires_at=now + timedelta(seconds=settings.lti_launch_ttl_s),
            )
        )
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": platform.client_id,
            "redirect_uri": f"{base}/lti/launch",
            "login_hint": hint,
            "state": launch.id,
            "nonce": launch.nonce,
        }
        if params.get("lti_message_hint"):
            query["lti_message_hint"] = params["lti_message_hint"]
        separator = "&" if urlsplit(platform.auth_login_url).query else "?"
        return platform.auth_login_url + separator + urlencode(query)

    # --- launch ----------------------------------------------------------------------------------

    def launch(self, session: Session, settings: Settings, *, id_token: str, state: str) -> LaunchOutcome:
        """Verify the platform's id_token and consume the state.

        Raises:
            LtiRefused: unknown/used/expired state, bad signature, wrong issuer or audience,
                expired token, nonce or deployment mismatch, unsupported message.
        """
        if not id_token or not state or len(state) > 64 or "\x00" in state:
            raise BadRequest("an LTI launch needs id_token and state")
        store = PlatformStore.from_session(session)
        launch = store.launch_for_update(state)
        now = utcnow()
        if launch is None:
            raise LtiRefused("this launch was not started from Hoclieu's login (unknown state)")
        if launch.used_at is not None:
            raise LtiRefused("this launch was already used: a replayed launch is refused")
        if launch.expires_at <= now:
            raise LtiRefused("this launch took too long and has expired: open the activity again")
        platform = launch.platform
        claims = self._verify(platform, id_token)
        if claims.get("nonce") != launch.nonce:
            raise LtiRefused("the launch's nonce does not match its login (replay?)")
        if claims.get(LTI + "version") != "1.3.0":
            raise LtiRefused("only LTI 1.3.0 launches are supported")
        deployment = claims.get(LTI + "deployment_id")
        if deployment not in platform.deployment_ids:
            raise LtiRefused(f"the deployment {deployment!r} is not registered for this platform")
        launch.used_at = now
        kind = claims.get(LTI + "message_type")
        if kind == RESOURCE_LINK:
            return LaunchOutcome("resource", material_id=self._material_of(claims, launch.target_link_uri))
        if kind == DEEP_LINKING:
            settings_claim = claims.get(DL + "deep_linking_settings") or {}
            return_url = settings_claim.get("deep_link_return_url")
            if not return_url or "ltiResourceLink" not in settings_claim.get("accept_types", []):
                raise LtiRefused("the deep-linking request has no return URL or does not accept links")
            pick = store.add_launch(
                LtiLaunch(
                    id=secrets.token_urlsafe(32),
                    nonce="",
                    platform_id=platform.id,
                    context={
                        "kind": "deep_link",
                        "deployment_id": deployment,
                        "return_url": return_url,
                        "data": settings_claim.get("data"),
                        "accept_multiple": settings_claim.get("accept_multiple", True),
                    },
                    expires_at=now + timedelta(seconds=settings.lti_launch_ttl_s),
                )
            )
            return LaunchOutcome("deep_link", pick_id=pick.id)
        raise LtiRefused(f"unsupported LTI message type {kind!r}")

    def _verify(self, platform: LtiPlatform, id_token: str) -> dict[str, Any]:
        try:
            key = _jwks.key_for(platform.jwks_url, id_token)
        except jwt.PyJWKClientConnectionError:
            raise LtiRefused("the platform's public keys could not be fetched; try again later") from None
        except (jwt.PyJWKClientError, jwt.DecodeError):
            raise LtiRefused("the launch is not signed with a key the platform publishes") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=platform.client_id,
                issuer=platform.issuer,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except jwt.InvalidSignatureError:
            raise LtiRefused("the launch's signature does not verify against the platform's keys") from None
        except jwt.ExpiredSignatureError:
            raise LtiRefused("the launch token has expired") from None
        except jwt.InvalidAudienceError:
            raise LtiRefused("the launch is meant for another tool (audience)") from None
        except jwt.InvalidIssuerError:
            raise LtiRefused("the launch comes from another platform than its login (issuer)") from None
        except jwt.InvalidTokenError as exc:
            raise LtiRefused(f"the launch token is not valid: {exc}") from None
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != platform.client_id:
            raise LtiRefused("the launch names several audiences but not Hoclieu as the authorised party")
        return claims

    @staticmethod
    def _material_of(claims: dict[str, Any], target_link_uri: str) -> str:
        custom = claims.get(LTI + "custom") or {}
        material_id = custom.get("material_id") if isinstance(custom, dict) else None
        if not material_id:
            target = claims.get(LTI + "target_link_uri") or target_link_uri
            material_id = next(iter(parse_qs(urlsplit(target).query).get("material", [])), None)
        if not material_id or len(str(material_id)) > 64:
            raise LtiRefused("the launch does not say which material to show")
        return str(material_id)

    # --- deep linking ----------------------------------------------------------------------------

    def pick_session(self, session: Session, pick_id: str) -> LtiLaunch:
        usable = len(pick_id) <= 64 and "\x00" not in pick_id
        found = PlatformStore.from_session(session).launch(pick_id) if usable else None
        if found is None or found.context.get("kind") != "deep_link":
            raise LtiRefused("this selection is not known: open the selection from your LMS again")
        if found.used_at is not None:
            raise LtiRefused("this selection was already sent back to the LMS")
        if found.expires_at <= utcnow():
            raise LtiRefused("this selection has expired: open it from your LMS again")
        return found

    def deep_link_response(
        self, session: Session, settings: Settings, pick_id: str, materials: builtins.list[Material]
    ) -> tuple[str, str]:
        """Sign the teacher's picks as an ``LtiDeepLinkingResponse``; returns (return URL, JWT).

        ``materials`` are public materials the caller loaded; the pick session is consumed.
        """
        pick = self.pick_session(session, pick_id)
        if not materials:
            raise BadRequest("pick at least one material")
        if not pick.context.get("accept_multiple", True) and len(materials) > 1:
            raise BadRequest("this LMS accepts one material at a time")
        base = settings.base_url.rstrip("/")
        items = [
            {
                "type": "ltiResourceLink",
                "title": m.title,
                "url": f"{base}/lti/launch",
                "custom": {"material_id": m.id},
                "iframe": {"width": 960, "height": 640},
            }
            for m in materials
        ]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": pick.platform.client_id,
            "aud": pick.platform.issuer,
            "iat": now,
            "exp": now + 600,
            "nonce": secrets.token_urlsafe(16),
            LTI + "message_type": "LtiDeepLinkingResponse",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": pick.context["deployment_id"],
            DL + "content_items": items,
        }
        if pick.context.get("data") is not None:
            claims[DL + "data"] = pick.context["data"]
        jwk = keys.public_jwk(settings)
        token = jwt.encode(claims, keys.private_key(settings), algorithm="RS256", headers={"kid": jwk["kid"]})
        pick.used_at = utcnow()
        return str(pick.context["return_url"]), token


lti = LtiService()
