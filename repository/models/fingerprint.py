from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from repository.db import Base


class Fingerprint(Base):
    """A file's 64-bit similarity hash, split into four 16-bit bands.

    Two hashes within 3 bits of each other agree on at least one band (pigeonhole), so the
    indexed bands find the candidates without scanning every file.
    """

    __tablename__ = "fingerprints"
    __table_args__ = (
        Index("ix_fingerprints_kind_b0", "kind", "b0"),
        Index("ix_fingerprints_kind_b1", "kind", "b1"),
        Index("ix_fingerprints_kind_b2", "kind", "b2"),
        Index("ix_fingerprints_kind_b3", "kind", "b3"),
    )

    file_id: Mapped[str] = mapped_column(
        ForeignKey("material_files.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "text" | "image"
    # Signed storage of the unsigned 64-bit value (BIGINT is signed on every database).
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)
    b0: Mapped[int] = mapped_column(Integer, nullable=False)
    b1: Mapped[int] = mapped_column(Integer, nullable=False)
    b2: Mapped[int] = mapped_column(Integer, nullable=False)
    b3: Mapped[int] = mapped_column(Integer, nullable=False)
