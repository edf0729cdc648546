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

Key rotation: ``DATA_DIR/keys/keyring.json`` records the *public* half of every key that has
signed, with its validity period (``valid_from``; ``valid_until`` once retired). Every signature
records its key id, so an approval signed before a rotation still verifies against the retired
key, and ``GET /api/v1/keys`` publishes them all. :func:`rotate` makes a new key current; the
retired private key is not kept (a retired key must never sign again). A key that appears by other
means (``HOCLIEU_SIGNING_KEY_FILE`` pointed at a new file) is registered the same way on first use.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from repository.config import Settings
from repository.errors import RepositoryError
from repository.files import private_dir

ALGORITHM = "Ed25519"
MANIFEST_TYPE = "hoclieu.approval"
MANIFEST_FORMAT = 1
DEFAULT_KEY_NAME = "approval-ed25519.pem"
KEYRING_NAME = "keyring.json"


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
    # Every key that has signed (current one included), oldest first.
    ring: tuple[KeyInfo, ...] = field(default=())

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

    def key(self, key_id: str | None) -> KeyInfo | None:
        """The published key with this id (current or retired), or None when unknown."""
        return next((k for k in self.ring if k.key_id == key_id), None)

    def check(self, key_id: str | None, manifest: dict[str, Any], signature_b64: str) -> str | None:
        """Verify a signature made with the key ``key_id``; None when valid, else the problem.

        A retired key's signature is valid only if the manifest says it was approved before
        the key was retired (a leaked retired key cannot back-date new approvals past that).
        """
        info = self.key(key_id)
        if info is None:
            return f"signed with key {key_id}, which is not a published key"
        if not verify_manifest(manifest, signature_b64, info.public_key):
            return "the signature does not match the manifest (manifest or signature altered)"
        if info.valid_until is not None:
            at = _instant(manifest.get("approved_at"))
            if at is None or at > (_instant(info.valid_until) or at):
                return f"signed with key {key_id} after it was retired ({info.valid_until})"
        return None

    def public_info(self) -> dict[str, str | None]:
        """What ``GET /api/v1/keys`` publishes for the current key."""
        info = self.key(self.key_id)
        return (info or KeyInfo.of(self.public_key, valid_from=None)).public_info()


@dataclass(frozen=True)
class KeyInfo:
    """The public half of a signing key with its validity period (ISO 8601 UTC strings)."""

    key_id: str
    public_key_b64: str
    valid_from: str | None
    valid_until: str | None = None

    @classmethod
    def of(cls, public_key: Ed25519PublicKey, *, valid_from: str | None) -> KeyInfo:
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(key_id_of(public_key), base64.b64encode(raw).decode("ascii"), valid_from)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return public_key_from_b64(self.public_key_b64)

    def public_info(self) -> dict[str, str | None]:
        """What ``GET /api/v1/keys`` publishes for this key."""
        pem = self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        return {
            "key_id": self.key_id,
            "algorithm": ALGORITHM,
            "public_key": self.public_key_b64,
            "pem": pem,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "status": "current" if self.valid_until is None else "retired",
        }


def _instant(value: object) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (naive ones are UTC); None when unreadable."""
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def key_path(settings: Settings) -> Path:
    return settings.signing_key_file or settings.data_dir / "keys" / DEFAULT_KEY_NAME


def keyring_path(settings: Settings) -> Path:
    """Where the published keys are recorded (always in the data dir, even for a configured key)."""
    return settings.data_dir / "keys" / KEYRING_NAME


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _load(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"cannot read the signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the signing key {path} is not an Ed25519 key")
    return key


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, pem: bytes, *, exclusive: bool) -> bool:
    """Write a private key with mode 0600; ``exclusive``: only if absent (returns False if it was there)."""
    private_dir(path.parent)
    target = path if exclusive else path.with_name(path.name + ".new")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    # O_EXCL: when two processes start at once, one creates the key and the other reads it.
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    if not exclusive:
        os.replace(target, path)  # atomic: a reader sees the old key or the new one, never half
    return True


def _create(path: Path) -> None:
    _write_private(path, _pem(Ed25519PrivateKey.generate()), exclusive=True)


class _RingLock:
    """An exclusive lock on the keyring (``fcntl.flock``), held while reading-modifying-writing it."""

    def __init__(self, ring: Path) -> None:
        self.path = ring.with_name(ring.name + ".lock")
        self.fd = -1

    def __enter__(self) -> None:
        private_dir(self.path.parent)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def read_keyring(path: Path) -> list[KeyInfo]:
    """The recorded keys, oldest first (empty when no keyring was written yet)."""
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"cannot read the keyring {path}: {exc}") from None
    try:
        return [
            KeyInfo(
                key_id=str(k["key_id"]),
                public_key_b64=str(k["public_key"]),
                valid_from=k.get("valid_from"),
                valid_until=k.get("valid_until"),
            )
            for k in doc["keys"]
        ]
    except (KeyError, TypeError) as exc:
        raise SigningKeyError(f"the keyring {path} is malformed: {exc}") from None


def _write_keyring(path: Path, ring: list[KeyInfo]) -> None:
    doc = {
        "keys": [
            {
                "key_id": k.key_id,
                "algorithm": ALGORITHM,
                "public_key": k.public_key_b64,
                "valid_from": k.valid_from,
                "valid_until": k.valid_until,
            }
            for k in ring
        ]
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, path)


def _register(ring: list[KeyInfo], current: Ed25519PublicKey, at: str) -> tuple[list[KeyInfo], bool]:
    """``ring`` with ``current`` as the one current key: other open keys are retired at ``at``."""
    kid = key_id_of(current)
    changed = False
    out: list[KeyInfo] = []
    for k in ring:
        if k.key_id != kid and k.valid_until is None:
            k = KeyInfo(k.key_id, k.public_key_b64, k.valid_from, at)
            changed = True
        out.append(k)
    if all(k.key_id != kid for k in out):
        out.append(KeyInfo.of(current, valid_from=at))
        changed = True
    return out, changed


def _ring_with(settings: Settings, current: Ed25519PublicKey) -> tuple[KeyInfo, ...]:
    """The keyring, making sure the current key is recorded in it (and is the only current one)."""
    path = keyring_path(settings)
    ring = read_keyring(path)
    if any(k.key_id == key_id_of(current) and k.valid_until is None for k in ring):
        return tuple(ring)
    with _RingLock(path):
        ring = read_keyring(path)
        kid = key_id_of(current)
        retired = next((k for k in ring if k.key_id == kid and k.valid_until is not None), None)
        if retired is not None:
            raise SigningKeyError(
                f"the signing key {kid} was retired at {retired.valid_until}; a retired key never signs again"
            )
        ring, changed = _register(ring, current, _now())
        if changed:
            _write_keyring(path, ring)
    return tuple(ring)


_lock = threading.Lock()
# Keyed by path; the stamp (mtime/inode of the key and the keyring) notices a rotation done by
# another process (``hoclieu keys rotate`` while the server runs), so nobody keeps signing with a
# retired key.
_cache: dict[Path, tuple[tuple[int, ...], Signer]] = {}


def _stamp(*paths: Path) -> tuple[int, ...]:
    out: list[int] = []
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            out += [0, 0]
            continue
        out += [st.st_mtime_ns, st.st_ino]
    return tuple(out)


def signer_for(settings: Settings) -> Signer:
    """The signer for these settings; creates the default key on first use.

    A key named by ``HOCLIEU_SIGNING_KEY_FILE`` is never created: a missing file is an error,
    because silently signing with a new key would make every earlier signature unverifiable.
    """
    path = key_path(settings)
    ring = keyring_path(settings)
    with _lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == _stamp(path, ring):
            return cached[1]
        if not path.exists():
            if settings.signing_key_file is not None:
                raise SigningKeyError(f"HOCLIEU_SIGNING_KEY_FILE names {path}, which does not exist")
            _create(path)
        private = _load(path)
        signer = Signer(private_key=private, path=path, ring=_ring_with(settings, private.public_key()))
        _cache[path] = (_stamp(path, ring), signer)
        return signer


def rotate(settings: Settings) -> tuple[KeyInfo, KeyInfo]:
    """Make a new Ed25519 key current; the old one is retired (still published, never signs again).

    Returns ``(retired, new)``. Refused when the key is given by ``HOCLIEU_SIGNING_KEY_FILE``:
    that file belongs to whoever manages it (point the setting at a new key instead; the old
    public key stays published because it is already in the keyring).
    """
    if settings.signing_key_file is not None:
        raise SigningKeyError(
            "the signing key is given by HOCLIEU_SIGNING_KEY_FILE; to rotate, point it at a new "
            "Ed25519 key (the current public key stays published in the keyring)"
        )
    old = signer_for(settings)  # also registers the current key
    path = keyring_path(settings)
    new_key = Ed25519PrivateKey.generate()
    at = _now()
    with _lock, _RingLock(path):
        # Keyring first: if we stop between the two writes, the new key is published but not
        # used yet, which is harmless; the reverse would sign with an unpublished key.
        ring, _ = _register(read_keyring(path), new_key.public_key(), at)
        _write_keyring(path, ring)
        _write_private(old.path, _pem(new_key), exclusive=False)
        _cache.pop(old.path, None)
    retired = next(k for k in ring if k.key_id == old.key_id)
    current = next(k for k in ring if k.key_id == key_id_of(new_key.public_key()))
    return retired, current
