"""The public signing keys (current and retired), so anyone can check a signed approval."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from repository.signing import ALGORITHM, canonical_json, signer_for
from web.deps import RuntimeDep

router = APIRouter(tags=["signatures"])


@router.get("/keys", summary="Public keys that sign approvals (Ed25519), current and retired")
def keys(runtime: RuntimeDep) -> dict[str, Any]:
    """Every key that has signed approvals, with its validity period.

    A signature names its key (``key_id``); retired keys stay here so approvals signed before a
    rotation keep verifying.
    """
    signer = signer_for(runtime.settings)
    return {
        "current": signer.key_id,
        "keys": [k.public_info() for k in signer.ring],
        "algorithm": ALGORITHM,
        "canonicalization": "JSON, keys sorted, separators ',' and ':', UTF-8 (no \\u escapes)",
        "example": canonical_json({"b": 1, "a": "ă"}).decode("utf-8"),
    }
