"""Build, verify and update offline packages (see the package docstring for the format).

The build is two steps. :func:`plan` reads the database only (every stored file's sha256 and size
are known from its row) and renders the pages in memory, giving the complete list of entries and
the manifest; :func:`write_zip` then streams the blobs into the zip. So the package's identity
(the sha256 of its manifest) is known before a byte of media is read, which lets the API serve a
cached zip and lets an update carry only the entries whose hash changed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from repository.errors import NotFound, RepositoryError, ValidationFailed
from repository.models import Material, MaterialFile
from repository.offline import site
from repository.offline.store import OfflineStore
from repository.signing import (
    ALGORITHM,
    KeyInfo,
    Signer,
    canonical_json,
    metadata_sha256,
    public_key_from_b64,
    verify_manifest,
)
from repository.storage import BlobStore
from repository.vocabularies import load_vocabularies

PACKAGE_TYPE = "hoclieu.offline-package"
UPDATE_TYPE = "hoclieu.offline-update"
FORMAT = 1
MANIFEST_NAME = "hoclieu-package.json"
UPDATE_NAME = "hoclieu-update.json"
# Entries of the zip carry this time, so the same content gives the same bytes.
ZIP_DATE = (2025, 1, 1, 0, 0, 0)
# Media is already compressed: storing it saves the CPU; pages and scripts deflate well.
_DEFLATE = (".html", ".js", ".css", ".json", ".vtt", ".txt")
_CHUNK = 1024 * 1024


class PackageError(RepositoryError):
    """A package or update cannot be read or applied (not a package, wrong base, altered file)."""

    status_code = 422
    code = "package_invalid"


@dataclass(frozen=True)
class Selection:
    """What a package holds: one grade, optionally one subject, series and lesson.

    >>> Selection(grade=5, subject="toan").describe()
    'grade 5, subject toan'
    """

    grade: int
    subject: str | None = None
    series: str | None = None
    lesson: str | None = None

    def check(self) -> Selection:
        """Validate against the vocabularies.

        Raises:
            ValidationFailed: unknown grade, subject or series.
        """
        vocabs = load_vocabularies()
        if not 1 <= self.grade <= 12:
            raise ValidationFailed(f"grade must be between 1 and 12, got {self.grade}")
        if self.subject is not None and self.subject not in vocabs["subject"]:
            raise ValidationFailed(f"unknown subject {self.subject!r}")
        if self.series is not None and self.series not in vocabs["series"]:
            raise ValidationFailed(f"unknown series {self.series!r}")
        if self.lesson is not None and not self.lesson.strip():
            raise ValidationFailed("the lesson must not be empty")
        return self

    def matches(self, meta: dict[str, Any]) -> bool:
        grades = meta.get("grades") or []
        if self.grade not in grades:
            return False
        if self.subject is not None and self.subject not in (meta.get("subjects") or []):
            return False
        if self.series is not None and meta.get("series") != self.series:
            return False
        return self.lesson is None or site.fold_key(str(meta.get("lesson") or "")) == site.fold_key(
            self.lesson
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def describe(self) -> str:
        parts = [f"grade {self.grade}"]
        parts += [f"{k} {v}" for k, v in self.as_dict().items() if k != "grade"]
        return ", ".join(parts)


@dataclass(frozen=True)
class Entry:
    """One file of the package: bytes we generated, or a stored blob."""

    path: str
    sha256: str
    size: int
    data: bytes | None = None
    blob_key: str | None = None

    @classmethod
    def generated(cls, path: str, data: bytes) -> Entry:
        return cls(path, hashlib.sha256(data).hexdigest(), len(data), data=data)


@dataclass
class Plan:
    """Everything a package will hold, before any blob is read."""

    selection: Selection
    entries: dict[str, Entry] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    document: bytes = b""  # the signed hoclieu-package.json

    @property
    def package_id(self) -> str:
        return hashlib.sha256(canonical_json(self.manifest)).hexdigest()

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries.values()) + len(self.document)

    def add(self, entry: Entry) -> str:
        self.entries.setdefault(entry.path, entry)
        return entry.path


# --- planning ------------------------------------------------------------------------------


def select_materials(session: Session, selection: Selection) -> list[tuple[Material, dict[str, Any] | None]]:
    """The approved materials of the selection, each with only its public (live version) files,
    and the signed approval of that version (None when it was approved without a signature).

    Versions are loaded for all materials at once: per material, the visibility rule and the
    signature lookup cost five queries, which was 95 % of a 200-material package's build time.
    """
    from repository.curation.signing import signed_approval
    from repository.policy.visibility import public_file_ids

    store = OfflineStore.from_session(session)
    ids = [mid for mid, meta in store.approved_metadata() if selection.matches(meta)]
    versions = store.versions(ids)
    out: list[tuple[Material, dict[str, Any] | None]] = []
    for m in store.full(ids):
        # The rule of MaterialService.restrict_files for an anonymous reader, with batch-loaded
        # versions; the loaded collection is replaced as if loaded that way (nothing is deleted).
        visible = public_file_ids(m, versions[m.id])
        set_committed_value(m, "files", [f for f in m.files if f.id in visible])
        v = signed_approval(versions[m.id], m.version)
        approval = (
            {"manifest": v.manifest, "signature": v.signature, "key_id": v.key_id or ""}
            if v is not None
            else None
        )
        out.append((m, approval))
    return out


def plan(session: Session, blobs: BlobStore, signer: Signer, selection: Selection, *, source: str) -> Plan:
    """Everything the package of ``selection`` holds, its manifest signed by ``signer``.

    Raises:
        ValidationFailed: the selection is invalid.
        NotFound: no approved material matches it.
    """
    selection.check()
    selected = select_materials(session, selection)
    if not selected:
        raise NotFound(f"no approved materials for {selection.describe()}")
    materials = [m for m, _ in selected]
    approvals: dict[str, dict[str, Any] | None] = {m.id: a for m, a in selected}
    out = Plan(selection=selection)
    pages = site.Site(selection)
    for m in sorted(materials, key=lambda m: m.id):
        pages.add_material(m, [_file_view(out, blobs, f) for f in m.files], approvals[m.id])
    for path, data in pages.render():
        out.add(Entry.generated(path, data))
    approved_at = [a["manifest"].get("approved_at", "") for a in approvals.values() if a]
    out.manifest = {
        "type": PACKAGE_TYPE,
        "format": FORMAT,
        "source": source,
        "selection": selection.as_dict(),
        # The newest approval, not the clock: the same content gives the same package.
        "built_at": max(approved_at, default=""),
        "materials": [
            {
                "id": m.id,
                "version": m.version,
                "title": m.title,
                "metadata": m.meta,
                "approval": approvals[m.id],
                "page": site.material_path(m.id),
            }
            for m in sorted(materials, key=lambda m: m.id)
        ],
        "files": {p: {"sha256": e.sha256, "size": e.size} for p, e in sorted(out.entries.items())},
    }
    key_ids = {signer.key_id} | {a["key_id"] for a in approvals.values() if a}
    keys = [signer.key(k) for k in sorted(key_ids)]
    out.document = _document(out.manifest, signer, [k for k in keys if k is not None])
    return out


def _document(manifest: dict[str, Any], signer: Signer, keys: list[KeyInfo]) -> bytes:
    doc = {
        "manifest": manifest,
        "algorithm": ALGORITHM,
        "key_id": signer.key_id,
        "signature": signer.sign(manifest),
        "keys": [{"key_id": k.key_id, "public_key": k.public_key_b64} for k in keys],
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8") + b"\n"


_EXT = {
    "video/mp4": ".mp4",
    "audio/mp4": ".m4a",
    "audio/webm": ".webm",
    "audio/mpeg": ".mp3",
    "image/webp": ".webp",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "text/vtt": ".vtt",
}
# Originals worth carrying besides their renditions (documents to print, pictures); a video's or
# a song's original is what the renditions replace.
ORIGINAL_MAX_BYTES = 25 * 1024 * 1024
# Uploaded active content is never shipped as a file a student would open from the stick (a page
# or script from file:// runs with more rights than on the web): its extracted text is shown.
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/javascript",
        "text/javascript",
        "application/xml",
        "text/xml",
    }
)
# Captions up to this size are also written into the page (see _inline); a 45-minute lesson's
# captions are ~40 KB.
INLINE_CAPTION_BYTES = 256 * 1024
# The extracted text shown on the page of a file without a visual preview (as on the portal).
TEXT_BYTES = 12_000


def _blob(out: Plan, sha256: str, size: int, key: str, media_type: str, filename: str = "") -> str:
    ext = _EXT.get(media_type.split(";")[0].strip(), "")
    if not ext:
        # An original's own extension (.docx, .pptx...) so the device opens it with the right app.
        suffix = PurePosixPath(filename).suffix.lower()
        ext = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"
    return out.add(Entry(f"files/{sha256[:2]}/{sha256}{ext}", sha256, size, blob_key=key))


def _file_view(out: Plan, blobs: BlobStore, f: MaterialFile) -> site.FileView:
    """Which of a file's derivatives go into the package, and where."""

    def first(kind: str, label: str | None = None) -> Any:
        return next(
            (d for d in f.derivatives if d.kind == kind and (label is None or d.label == label)), None
        )

    def put(d: Any) -> str | None:
        return _blob(out, d.sha256, d.size, d.storage_key, d.media_type) if d is not None else None

    v = site.FileView(filename=f.filename, media_type=f.media_type, status=f.status)
    renditions = [d for d in f.derivatives if d.kind == "rendition"]
    video = next((d for d in renditions if d.media_type.startswith("video/") and d.label == "360p"), None)
    video = video or next((d for d in renditions if d.media_type.startswith("video/")), None)
    audio = [d for d in renditions if d.media_type.startswith("audio/")]
    v.thumbnail = put(first("thumbnail", "small"))
    if video is not None:
        v.kind = "video"
        v.video = put(video)
        v.video_size = video.size
        v.poster = put(first("poster") or first("thumbnail", "large"))
        listen = next(iter(audio), None)
        if listen is not None:
            v.listen, v.listen_size, v.listen_type = put(listen), listen.size, listen.media_type
        v.captions = [
            (d.label, site.language_label(d.label), put(d) or "", _inline(blobs, d))
            for d in sorted(f.derivatives, key=lambda d: (d.label != "vi", d.label))
            if d.kind == "caption"
        ]
        return v
    if audio or f.media_type.startswith("audio/"):
        v.kind = "audio"
        if audio:
            v.audio, v.audio_type = put(audio[0]), audio[0].media_type
        elif f.size <= ORIGINAL_MAX_BYTES:
            v.audio = _blob(out, f.sha256, f.size, f.storage_key, f.media_type, f.filename)
            v.audio_type = f.media_type
        return v
    if f.size <= ORIGINAL_MAX_BYTES and f.media_type.split(";")[0].strip() not in ACTIVE_TYPES:
        v.original = _blob(out, f.sha256, f.size, f.storage_key, f.media_type, f.filename)
    v.pdf = v.original if f.media_type == "application/pdf" else put(first("pdf"))
    previews = sorted((d for d in f.derivatives if d.kind == "preview"), key=lambda d: d.page)
    if previews:
        v.kind = "document"
        v.pages = [(put(d) or "", d.width, d.height) for d in previews]
        return v
    if f.media_type.startswith("image/"):
        v.kind = "image"
        v.image = put(first("thumbnail", "large")) or v.original
        return v
    v.image = put(first("thumbnail", "large"))
    text = first("text", "")
    if text is not None:
        with blobs.open(text.storage_key) as stream:
            raw = stream.read(TEXT_BYTES + 1)
        v.text = raw[:TEXT_BYTES].decode("utf-8", errors="ignore") + ("…" if len(raw) > TEXT_BYTES else "")
    return v


def _inline(blobs: BlobStore, d: Any) -> str:
    """A caption as a ``data:`` URL: Chromium refuses ``<track>`` files under ``file://`` (every
    file is its own origin there), a ``data:`` URL it plays. Large ones keep the file only."""
    if d.size > INLINE_CAPTION_BYTES:
        return ""
    with blobs.open(d.storage_key) as stream:
        return "data:text/vtt;base64," + base64.b64encode(stream.read()).decode("ascii")


# --- writing -------------------------------------------------------------------------------


def _zipinfo(path: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED if path.endswith(_DEFLATE) else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _copy_blob(blobs: BlobStore, entry: Entry, dst: IO[bytes]) -> None:
    digest = hashlib.sha256()
    size = 0
    with blobs.open(entry.blob_key or "") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    if digest.hexdigest() != entry.sha256 or size != entry.size:
        # A package must never ship bytes its manifest does not vouch for: fixity problem.
        raise PackageError(
            f"stored file for {entry.path} does not match its recorded sha256 (run hoclieu fixity)"
        )


def write_zip(
    p: Plan,
    blobs: BlobStore,
    out: Path,
    *,
    only: set[str] | None = None,
    extra: dict[str, bytes] | None = None,
) -> None:
    """Write the package (or, with ``only``, just those entries: an update) to ``out`` atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=".package-", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            for path in sorted(p.entries):
                if only is not None and path not in only:
                    continue
                entry = p.entries[path]
                with zf.open(_zipinfo(path), "w", force_zip64=entry.size > 2**31) as dst:
                    if entry.data is not None:
                        dst.write(entry.data)
                    else:
                        _copy_blob(blobs, entry, dst)
            for name, data in sorted((extra or {}).items()):
                zf.writestr(_zipinfo(name), data)
            zf.writestr(_zipinfo(MANIFEST_NAME), p.document)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def build(
    session: Session, blobs: BlobStore, signer: Signer, selection: Selection, out: Path, *, source: str
) -> Plan:
    """Write the full package of ``selection`` to ``out`` and return its plan."""
    p = plan(session, blobs, signer, selection, source=source)
    write_zip(p, blobs, out)
    return p


def build_update(
    session: Session,
    blobs: BlobStore,
    signer: Signer,
    base: dict[str, Any],
    out: Path,
    *,
    source: str,
    selection: Selection | None = None,
) -> tuple[Plan, list[str], list[str]]:
    """An update package from an older package to today's content.

    Args:
        base: the older package's ``hoclieu-package.json`` (see :func:`read_document`).
        selection: default: the older package's selection.

    Returns:
        ``(plan, changed, deleted)``: the new package's plan, the paths the update carries, and
        the paths it removes.

    Raises:
        PackageError: ``base`` is not a package manifest.
    """
    old_manifest = base.get("manifest")
    if not isinstance(old_manifest, dict) or old_manifest.get("type") != PACKAGE_TYPE:
        raise PackageError("the base is not a Hoclieu offline package manifest")
    if selection is None:
        sel = old_manifest.get("selection") or {}
        try:
            selection = Selection(
                grade=int(sel["grade"]),
                subject=sel.get("subject"),
                series=sel.get("series"),
                lesson=sel.get("lesson"),
            )
        except (KeyError, TypeError, ValueError):
            raise PackageError("the base package names no grade") from None
    p = plan(session, blobs, signer, selection, source=source)
    old_files = old_manifest.get("files") or {}
    changed = sorted(
        path for path, e in p.entries.items() if (old_files.get(path) or {}).get("sha256") != e.sha256
    )
    deleted = sorted(set(old_files) - set(p.entries))
    update = {
        "type": UPDATE_TYPE,
        "format": FORMAT,
        "base": hashlib.sha256(canonical_json(old_manifest)).hexdigest(),
        "target": p.package_id,
        "delete": deleted,
    }
    extra = {
        UPDATE_NAME: json.dumps(update, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8") + b"\n"
    }
    write_zip(p, blobs, out, only=set(changed), extra=extra)
    return p, changed, deleted


def cached_package(
    session: Session,
    blobs: BlobStore,
    signer: Signer,
    selection: Selection,
    cache_dir: Path,
    *,
    source: str,
    keep: int = 6,
) -> tuple[Path, Plan]:
    """The package of ``selection``, built once per content state (the API's download).

    Packages are cached as ``cache_dir/<package id>.zip``: the id is the hash of the manifest,
    so a cached zip is served only while the content is unchanged. The ``keep`` most recently
    used are kept.
    """
    p = plan(session, blobs, signer, selection, source=source)
    target = cache_dir / f"{p.package_id}.zip"
    if target.is_file():
        os.utime(target)
    else:
        write_zip(p, blobs, target)
        zips = sorted(cache_dir.glob("*.zip"), key=lambda z: z.stat().st_mtime, reverse=True)
        for old in zips[keep:]:
            old.unlink(missing_ok=True)
    return target, p


# --- reading, verifying, applying ----------------------------------------------------------


class _Tree:
    """A package as a zip file or an unpacked folder: names and byte streams."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        if path.is_dir():
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise PackageError(f"{path.name} is neither a package folder nor a zip file: {exc}") from None

    def __enter__(self) -> _Tree:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.zip is not None:
            self.zip.close()

    def names(self) -> set[str]:
        if self.zip is not None:
            return {n for n in self.zip.namelist() if not n.endswith("/")}
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()}

    def open(self, name: str) -> IO[bytes]:
        if self.zip is not None:
            return self.zip.open(name)
        return (self.path / name).open("rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()


def _load_document(raw: bytes, where: str) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise PackageError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("manifest"), dict):
        raise PackageError(f"{where} holds no package manifest")
    if doc["manifest"].get("type") != PACKAGE_TYPE:
        raise PackageError(f"{where} is not a Hoclieu offline package manifest")
    return doc


def read_document(path: Path) -> dict[str, Any]:
    """The signed ``hoclieu-package.json`` of a package (zip or folder).

    Raises:
        PackageError: not a package.
    """
    with _Tree(path) as tree:
        if MANIFEST_NAME not in tree.names():
            raise PackageError(f"{path.name} has no {MANIFEST_NAME}: not a Hoclieu offline package")
        return _load_document(tree.read(MANIFEST_NAME), MANIFEST_NAME)


@dataclass
class PackageReport:
    """What :func:`verify_package` found; ``ok`` only when ``problems`` is empty."""

    package_id: str = ""
    key_id: str = ""
    files: int = 0
    materials: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256_of(stream: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def verify_package(path: Path, *, trusted_keys: dict[str, str] | None = None) -> PackageReport:
    """Check a package (zip or folder) against its signed manifest.

    Checks: the manifest's signature; with ``trusted_keys`` (key id → base64 public key, as
    published by ``GET /api/v1/keys``) that the signing keys are those; each material's approval
    signature and that its metadata is the approved one; every listed file is present with its
    sha256 and size; no other file is in the package.
    """
    report = PackageReport()
    try:
        tree_cm = _Tree(path)
    except PackageError as exc:
        report.problems.append(exc.message)
        return report
    with tree_cm as tree:
        names = tree.names()
        if MANIFEST_NAME not in names:
            report.problems.append(f"no {MANIFEST_NAME}: not a Hoclieu offline package")
            return report
        try:
            doc = _load_document(tree.read(MANIFEST_NAME), MANIFEST_NAME)
        except PackageError as exc:
            report.problems.append(exc.message)
            return report
        manifest = doc["manifest"]
        report.package_id = hashlib.sha256(canonical_json(manifest)).hexdigest()
        report.key_id = str(doc.get("key_id", ""))
        keys = _keys(doc, trusted_keys, report)
        key = keys.get(report.key_id)
        if key is None:
            report.problems.append(f"the package is signed with key {report.key_id}, which is not known")
        elif not verify_manifest(manifest, str(doc.get("signature", "")), public_key_from_b64(key)):
            report.problems.append("the manifest's signature does not match (manifest altered)")
        for m in manifest.get("materials") or []:
            report.materials += 1
            _check_approval(m, keys, report)
        files = manifest.get("files") or {}
        for name in sorted(files):
            report.files += 1
            expected = files[name]
            if name not in names:
                report.problems.append(f"{name}: missing")
                continue
            with tree.open(name) as fh:
                sha, size = _sha256_of(fh)
            if sha != expected.get("sha256") or size != expected.get("size"):
                report.problems.append(f"{name}: altered (sha256 or size differs from the manifest)")
        for name in sorted(names - set(files) - {MANIFEST_NAME}):
            report.problems.append(f"{name}: not part of the package (added after it was built)")
    return report


def _keys(doc: dict[str, Any], trusted: dict[str, str] | None, report: PackageReport) -> dict[str, str]:
    embedded = {
        str(k.get("key_id")): str(k.get("public_key")) for k in doc.get("keys") or [] if isinstance(k, dict)
    }
    if trusted is None:
        report.notes.append(
            "keys taken from the package itself; pass the repository's published keys "
            "(GET /api/v1/keys) to also check who signed it"
        )
        return embedded
    for key_id, pub in embedded.items():
        if trusted.get(key_id) != pub:
            report.problems.append(f"key {key_id} in the package is not one of the trusted published keys")
    return dict(trusted)


def _check_approval(m: dict[str, Any], keys: dict[str, str], report: PackageReport) -> None:
    title = m.get("title") or m.get("id")
    approval = m.get("approval")
    if not approval:
        report.notes.append(f"{title}: approved without a signed approval record")
        return
    manifest = approval.get("manifest") or {}
    key = keys.get(str(approval.get("key_id")))
    if key is None:
        report.problems.append(f"{title}: approval signed with unknown key {approval.get('key_id')}")
    elif not verify_manifest(manifest, str(approval.get("signature", "")), public_key_from_b64(key)):
        report.problems.append(f"{title}: the approval signature does not match")
    if manifest.get("material_id") != m.get("id") or manifest.get("version") != m.get("version"):
        report.problems.append(f"{title}: the approval names another material or version")
    if metadata_sha256(m.get("metadata") or {}) != manifest.get("metadata_sha256"):
        report.problems.append(f"{title}: the metadata differs from the approved metadata")


def apply_update(folder: Path, update: Path, *, trusted_keys: dict[str, str] | None = None) -> PackageReport:
    """Apply an update package to an unpacked package folder, in place.

    Before anything is written, the update's manifest must be validly signed by a key the
    package in the folder already names (or one of ``trusted_keys``, after a key rotation), and
    every file must be named by it. New and changed files are written beside their targets and
    renamed over them; files the new manifest no longer lists are removed; the new manifest is
    written last, so an interrupted run can simply be repeated. The result is verified before
    returning.

    Raises:
        PackageError: ``folder`` is not the package the update was made from, or the update is
            damaged (a file differs from the new manifest).
    """
    if not folder.is_dir():
        raise PackageError(f"{folder} is not an unpacked package folder")
    current = read_document(folder)
    current_id = hashlib.sha256(canonical_json(current["manifest"])).hexdigest()
    with _Tree(update) as tree:
        names = tree.names()
        if UPDATE_NAME not in names or MANIFEST_NAME not in names:
            raise PackageError(f"{update.name} is not a Hoclieu update package")
        try:
            info = json.loads(tree.read(UPDATE_NAME))
        except ValueError as exc:
            raise PackageError(f"{UPDATE_NAME} is not valid JSON: {exc}") from None
        new_raw = tree.read(MANIFEST_NAME)
        new = _load_document(new_raw, MANIFEST_NAME)
        target = hashlib.sha256(canonical_json(new["manifest"])).hexdigest()
        if current_id == target:
            return verify_package(folder)  # already applied
        if info.get("type") != UPDATE_TYPE or info.get("base") != current_id or info.get("target") != target:
            raise PackageError(
                "this update was made for another package (its base is not the package in this folder)"
            )
        _check_update_signer(current, new, trusted_keys)
        new_files: dict[str, Any] = new["manifest"].get("files") or {}
        for name in sorted(names - {UPDATE_NAME, MANIFEST_NAME}):
            expected = new_files.get(name)
            if expected is None or not _safe(name):
                raise PackageError(f"{name} in the update is not part of the new package")
            dst = folder / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(dst.name + ".part")
            with tree.open(name) as src, tmp.open("wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)
            with tmp.open("rb") as fh:
                sha, size = _sha256_of(fh)
            if sha != expected.get("sha256") or size != expected.get("size"):
                tmp.unlink()
                raise PackageError(f"{name} in the update differs from the new manifest")
            os.replace(tmp, dst)
    old_files = current["manifest"].get("files") or {}
    for name in sorted(set(old_files) - set(new_files)):
        if _safe(name):
            (folder / name).unlink(missing_ok=True)
    _prune_empty(folder)
    tmp = folder / (MANIFEST_NAME + ".part")
    tmp.write_bytes(new_raw)
    os.replace(tmp, folder / MANIFEST_NAME)
    report = verify_package(folder)
    if not report.ok:
        raise PackageError(
            "after the update the folder does not match the new manifest: " + "; ".join(report.problems[:5])
        )
    return report


def _check_update_signer(
    current: dict[str, Any], new: dict[str, Any], trusted: dict[str, str] | None
) -> None:
    """The new manifest is signed, by a key the current package trusts: nobody else's update."""
    known = {
        str(k.get("key_id")): str(k.get("public_key"))
        for k in current.get("keys") or []
        if isinstance(k, dict)
    }
    known.update(trusted or {})
    key_id = str(new.get("key_id", ""))
    key = known.get(key_id)
    if key is None:
        raise PackageError(
            f"the update is signed with key {key_id}, which this package does not know "
            "(after a key rotation, pass the published keys with --keys)"
        )
    if not verify_manifest(new["manifest"], str(new.get("signature", "")), public_key_from_b64(key)):
        raise PackageError("the update's manifest signature does not match (update altered)")


def _safe(name: str) -> bool:
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts and "\\" not in name


def _prune_empty(folder: Path) -> None:
    for d in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()


def extract(package: Path, folder: Path) -> None:
    """Unpack a package zip (what a school does onto its USB stick); refuses unsafe names."""
    with zipfile.ZipFile(package) as zf:
        for name in zf.namelist():
            if not _safe(name):
                raise PackageError(f"{name}: unsafe path in the package")
        zf.extractall(folder)


def tree_digest(folder: Path) -> Iterator[tuple[str, str]]:
    """``(relative path, sha256)`` of every file under ``folder``, sorted (to compare trees)."""
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            with p.open("rb") as fh:
                yield p.relative_to(folder).as_posix(), _sha256_of(fh)[0]
