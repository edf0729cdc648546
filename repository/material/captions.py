"""Captions: WebVTT per language for a video, uploaded by the people who may change the material.

A caption is a derivative of the video file (``kind="caption"``, ``label`` = language code,
``text/vtt``), so it is served, listed and packaged like the others; ingest leaves captions in
place when it re-runs. SRT uploads are converted to WebVTT (the only format ``<track>`` plays):
the ``,`` before the milliseconds becomes ``.`` and cue numbers go. Input is checked as text
(UTF-8 or UTF-16 with a BOM), every cue timing must parse with start < end, and the size and cue
count are bounded, so what reaches students' players is well-formed::

    >>> to_webvtt(b"1\\r\\n00:00:01,000 --> 00:00:02,500\\r\\nXin ch\\xc3\\xa0o\\r\\n")
    'WEBVTT\\n\\n00:00:01.000 --> 00:00:02.500\\nXin chào\\n'

Captions are not part of the signed approval (which covers the originals), like the other
derivatives; setting or removing one is audited.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy.orm import Session

from repository.audit.service import audit
from repository.errors import NotFound, PermissionDenied, ValidationFailed
from repository.material.store import MaterialStore
from repository.models import Derivative, Material, User
from repository.policy.visibility import privileged
from repository.storage import BlobStore

KIND = "caption"
MEDIA_TYPE = "text/vtt"
MAX_BYTES = 1024 * 1024
MAX_CUES = 20_000
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_TIME = r"(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)[.,](\d{3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s+-->\s+{_TIME}(\s+.*)?$")


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def _stamp(h: str | None, m: str, s: str, ms: str) -> str:
    return f"{int(h or 0):02d}:{m}:{s}.{ms}"


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("captions must be UTF-8 text (save the file as UTF-8)") from None
    if "\x00" in text:
        raise ValidationFailed("captions must be text, not binary data")
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def to_webvtt(raw: bytes) -> str:
    """WebVTT text from a WebVTT or SRT file.

    Raises:
        ValidationFailed: too large, not text, no cue, or a malformed timing line.
    """
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(f"captions are limited to {MAX_BYTES // 1024} KB")
    text = _decode(raw)
    blocks = [b for b in re.split(r"\n{2,}", text.strip()) if b.strip()]
    if blocks and blocks[0].startswith("WEBVTT"):
        blocks = blocks[1:]  # the header (and its optional description)
    cues: list[str] = []
    for number, block in enumerate(blocks, 1):
        lines = block.split("\n")
        if lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue  # WebVTT comments and styling blocks are dropped, not copied
        at = next((i for i, ln in enumerate(lines[:2]) if "-->" in ln), None)
        if at is None:
            raise ValidationFailed(f"caption {number}: no timing line (00:00:01,000 --> 00:00:02,000)")
        timing = _TIMING.match(lines[at])
        if timing is None:
            raise ValidationFailed(f"caption {number}: cannot read the timing {lines[at].strip()[:60]!r}")
        g = timing.groups()
        if _seconds(*g[0:4]) >= _seconds(*g[4:8]):
            raise ValidationFailed(f"caption {number}: it ends before it starts")
        body = [ln for ln in lines[at + 1 :] if ln.strip()]
        if not body:
            continue
        cues.append(f"{_stamp(*g[0:4])} --> {_stamp(*g[4:8])}\n" + "\n".join(body))
        if len(cues) > MAX_CUES:
            raise ValidationFailed(f"at most {MAX_CUES} captions per file")
    if not cues:
        raise ValidationFailed("the file holds no captions (expected WebVTT or SRT)")
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


class CaptionService:
    def _video(self, session: Session, actor: User, material_id: str, file_id: str) -> Material:
        store = MaterialStore.from_session(session)
        material = store.get_visible(material_id, actor)
        if material is None:
            raise NotFound(f"no material with id {material_id!r}")
        if not privileged(actor, material):
            raise PermissionDenied("only the owner, a curator in scope or an admin can change captions")
        f = next((f for f in material.files if f.id == file_id), None)
        if f is None:
            raise NotFound(f"material {material_id!r} has no file {file_id!r}")
        is_video = f.media_type.startswith("video/") or any(
            d.kind == "rendition" and d.media_type.startswith("video/") for d in f.derivatives
        )
        if not is_video:
            raise ValidationFailed("captions go with a video file")
        return material

    def set(
        self,
        session: Session,
        blobs: BlobStore,
        actor: User,
        material_id: str,
        file_id: str,
        *,
        lang: str,
        raw: bytes,
        ip: str | None = None,
    ) -> Derivative:
        """Store (or replace) the ``lang`` captions of a video file from WebVTT or SRT bytes.

        Raises:
            NotFound: no such material or file (or not visible to ``actor``).
            PermissionDenied: ``actor`` may not change this material.
            ValidationFailed: not a video, bad language code, or malformed captions.
        """
        if not _LANG.match(lang):
            raise ValidationFailed(f"language must be a code like 'vi' or 'en', got {lang[:20]!r}")
        material = self._video(session, actor, material_id, file_id)
        data = to_webvtt(raw).encode("utf-8")
        staged = blobs.stage(max_size=MAX_BYTES * 2)
        try:
            staged.write(data)
            blob = staged.commit()
        except BaseException:
            staged.abort()
            raise
        f = next(f for f in material.files if f.id == file_id)
        row = next((d for d in f.derivatives if d.kind == KIND and d.label == lang), None)
        if row is None:
            row = Derivative(
                kind=KIND, label=lang, page=0, media_type=MEDIA_TYPE, size=0, sha256="", storage_key=""
            )
            f.derivatives.append(row)
        row.size, row.sha256, row.storage_key = blob.size, blob.sha256, blob.key
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="material.captions_set",
            subject_type="material",
            subject_id=material.id,
            data={"file_id": file_id, "lang": lang, "sha256": blob.sha256},
            ip=ip,
        )
        return row

    def remove(
        self,
        session: Session,
        actor: User,
        material_id: str,
        file_id: str,
        *,
        lang: str,
        ip: str | None = None,
    ) -> None:
        """Remove the ``lang`` captions of a video file.

        Raises:
            NotFound: no such material, file or captions.
            PermissionDenied: ``actor`` may not change this material.
        """
        material = self._video(session, actor, material_id, file_id)
        f = next(f for f in material.files if f.id == file_id)
        row = next((d for d in f.derivatives if d.kind == KIND and d.label == lang), None)
        if row is None:
            raise NotFound(f"file {file_id!r} has no {lang!r} captions")
        f.derivatives.remove(row)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="material.captions_removed",
            subject_type="material",
            subject_id=material.id,
            data={"file_id": file_id, "lang": lang},
            ip=ip,
        )


captions = CaptionService()
