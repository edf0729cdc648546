"""Signed approvals: an Ed25519 signature over a canonical JSON manifest.

On approval the curation service builds a manifest (material id, version, each file's sha256 and
size, the metadata's sha256, the curator, the time) and signs its canonical bytes. Anyone holding
the published public key (``GET /api/v1/keys``) can check that what they downloaded is exactly
what was approved::

    signer = signer_for(settings)
    signature = signer.sign(manifest)
    assert verify_manifest(manifest, signature, signer.public_key)

Canonical JSON: keys sorted, no insignificant whitespace, UTF-8 (not ``\\u`` escapes), so the bytes
are the same whichever program re-serialises the manifest (RFC 8785 in spirit; our manifests
hold only strings, integers and nested objects, where the two agree).

The private key is read from ``HOCLIEU_SIGNING_KEY_FILE`` when set, otherwise from
``DATA_DIR/keys/approval-ed25519.pem``, created on first use with mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from repository.config import Settings
from repository.errors import RepositoryError

ALGORITHM = "Ed25519"
MANIFEST_TYPE = "hoclieu.approval"
MANIFEST_FORMAT = 1
DEFAULT_KEY_NAME = "approval-ed25519.pem"


class SigningKeyError(RepositoryError):
    """The configured signing key cannot be read (wrong format, unreadable file)."""


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON value (sorted keys, compact, UTF-8)."""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def metadata_sha256(meta: dict[str, Any]) -> str:
    """The hash recorded in a manifest for a metadata document."""
    return hashlib.sha256(canonical_json(meta)).hexdigest()


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: the first 16 hex digits of sha256(raw key)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_manifest(manifest: dict[str, Any], signature_b64: str, public_key: Ed25519PublicKey) -> bool:
    """True when ``signature_b64`` is a valid signature of ``manifest`` by ``public_key``."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, canonical_json(manifest))
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True


def public_key_from_b64(raw_b64: str) -> Ed25519PublicKey:
    """Load a published public key (``public_key`` field of ``GET /api/v1/keys``)."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(raw_b64, validate=True))


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key with its id; signs manifests."""

    private_key: Ed25519PrivateKey
    path: Path

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def sign(self, manifest: dict[str, Any]) -> str:
        """Base64 signature of the manifest's canonical bytes."""
        return base64.b64encode(self.private_key.sign(canonical_json(manifest))).decode("ascii")

    def verify(self, manifest: dict[str, Any], signature_b64: str) -> bool:
        return verify_manifest(manifest, signature_b64, self.public_key)

    def public_info(self) -> dict[str, str]:
        """What ``GET /api/v1/keys`` publishes for this key."""
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        pem = self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        return {
            "key_id": self.key_id,
            "algorithm": ALGORITHM,
            "public_key": base64.b64encode(raw).decode("ascii"),
            "pem": pem,
        }


def key_path(settings: Settings) -> Path:
    return settings.signing_key_file or settings.data_dir / "keys" / DEFAULT_KEY_NAME


def _load(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"cannot read the signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the signing key {path} is not an Ed25519 key")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # O_EXCL: when two processes start at once, one creates the key and the other reads it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())


_lock = threading.Lock()
_cache: dict[Path, Signer] = {}


def signer_for(settings: Settings) -> Signer:
    """The signer for these settings; creates the default key on first use.

    A key named by ``HOCLIEU_SIGNING_KEY_FILE`` is never created: a missing file is an error,
    because silently signing with a new key would make every earlier signature unverifiable.
    """
    path = key_path(settings)
    with _lock:
        cached = _cache.get(path)
        if cached is not None:
            return cached
        if not path.exists():
            if settings.signing_key_file is not None:
                raise SigningKeyError(f"HOCLIEU_SIGNING_KEY_FILE names {path}, which does not exist")
            _create(path)
        signer = Signer(private_key=_load(path), path=path)
        _cache[path] = signer
        return signer
