"""The public signing key, so anyone can check a signed approval."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from repository.signing import ALGORITHM, canonical_json, signer_for
from web.deps import RuntimeDep

router = APIRouter(tags=["signatures"])


@router.get("/keys", summary="Public keys that sign approvals (Ed25519)")
def keys(runtime: RuntimeDep) -> dict[str, Any]:
    signer = signer_for(runtime.settings)
    return {
        "keys": [signer.public_info()],
        "algorithm": ALGORITHM,
        "canonicalization": "JSON, keys sorted, separators ',' and ':', UTF-8 (no \\u escapes)",
        "example": canonical_json({"b": 1, "a": "ă"}).decode("utf-8"),
    }
