from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from repository.vocabularies import get_vocabulary, load_vocabularies

router = APIRouter(tags=["vocabularies"])


@router.get("/vocabularies", summary="All controlled vocabularies (codes with Vietnamese and English labels)")
def list_vocabularies() -> dict[str, Any]:
    return {"vocabularies": [v.to_dict() for v in load_vocabularies().values()]}


@router.get("/vocabularies/{name}", summary="One vocabulary")
def one_vocabulary(name: str) -> dict[str, Any]:
    return get_vocabulary(name).to_dict()
