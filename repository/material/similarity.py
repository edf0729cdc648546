"""Near-duplicate lookup over stored fingerprints (see ``repository.models.fingerprint``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from repository.models import Fingerprint, MaterialFile

NEAR_BITS = 3


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _bands(value: int) -> tuple[int, int, int, int]:
    return tuple((value >> (16 * i)) & 0xFFFF for i in range(4))  # type: ignore[return-value]


@dataclass(frozen=True)
class Similar:
    file_id: str
    material_id: str
    kind: str
    distance: int


def record(session: Session, file_id: str, kind: str, value: int) -> None:
    """Store (replace) a file's fingerprint of one kind."""
    session.execute(delete(Fingerprint).where(Fingerprint.file_id == file_id, Fingerprint.kind == kind))
    b0, b1, b2, b3 = _bands(value)
    session.add(Fingerprint(file_id=file_id, kind=kind, value=_signed(value), b0=b0, b1=b1, b2=b2, b3=b3))


def nearest(
    session: Session, file_id: str, kind: str, value: int, *, exclude_material: str
) -> Similar | None:
    """The earliest file of another material whose fingerprint is within ``NEAR_BITS`` bits."""
    b0, b1, b2, b3 = _bands(value)
    rows = session.execute(
        select(Fingerprint.file_id, Fingerprint.value, MaterialFile.material_id, MaterialFile.created_at)
        .join(MaterialFile, MaterialFile.id == Fingerprint.file_id)
        .where(
            Fingerprint.kind == kind,
            Fingerprint.file_id != file_id,
            MaterialFile.material_id != exclude_material,
            or_(Fingerprint.b0 == b0, Fingerprint.b1 == b1, Fingerprint.b2 == b2, Fingerprint.b3 == b3),
        )
        .order_by(MaterialFile.created_at)
        .limit(500)
    ).all()
    best: Similar | None = None
    for other_file, other_value, material_id, _ in rows:
        distance = (_unsigned(other_value) ^ value).bit_count()
        if distance <= NEAR_BITS and (best is None or distance < best.distance):
            best = Similar(other_file, material_id, kind, distance)
    return best
