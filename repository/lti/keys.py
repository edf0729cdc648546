"""The tool's RSA key for LTI 1.3: signs deep-linking responses; published at ``/lti/jwks``.

Kept in ``HOCLIEU_LTI_KEY_FILE`` or ``DATA_DIR/keys/lti-rsa.pem`` (created on first use, 0600,
written atomically so two processes starting at once agree on one key).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from repository.config import Settings


def key_path(settings: Settings) -> Path:
    return settings.lti_key_file or settings.data_dir / "keys" / "lti-rsa.pem"


@functools.cache
def _load(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        staging = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(staging, path)  # fails if another process won the race: use its key
        except FileExistsError:
            pass
        finally:
            staging.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return loaded


def private_key(settings: Settings) -> rsa.RSAPrivateKey:
    return _load(key_path(settings).resolve())


def public_jwk(settings: Settings) -> dict[str, Any]:
    """The public key as a JWK with ``kid`` (its RFC 7638 thumbprint), ``alg`` and ``use``."""
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private_key(settings).public_key()))
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def jwks(settings: Settings) -> dict[str, Any]:
    return {"keys": [public_jwk(settings)]}
