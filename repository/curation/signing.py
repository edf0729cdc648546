"""Signed approvals: the manifest an approval signs, and reading and checking it afterwards.

On approval (:func:`sign`) the curator's decision is bound to the exact files and metadata of the
version by a signature over a canonical manifest (:func:`build_manifest`; the keys are
:mod:`repository.signing`'s). :class:`SignatureService` shows a signed approval, verifies one
against the database and, optionally, the stored bytes, and finds the approval that names a
given file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from repository.curation.schemas import SignatureRead, VerifyReport
from repository.curation.store import CurationStore
from repository.curation.versions import visible_material
from repository.errors import Conflict, NotFound
from repository.material.store import MaterialStore
from repository.models import Material, MaterialFile, MaterialVersion, User, WorkflowState
from repository.signing import ALGORITHM, MANIFEST_FORMAT, MANIFEST_TYPE, Signer, metadata_sha256
from repository.storage import BlobStore


def build_manifest(
    material: Material, version: MaterialVersion, files: Sequence[MaterialFile], curator: User, at: str
) -> dict[str, Any]:
    """The canonical approval manifest of one version (what gets signed)."""
    return {
        "type": MANIFEST_TYPE,
        "format": MANIFEST_FORMAT,
        "material_id": material.id,
        "version": version.number,
        "files": [
            {
                "id": f.id,
                "filename": f.filename,
                "media_type": f.media_type,
                "sha256": f.sha256,
                "size": f.size,
            }
            for f in files
        ],
        "metadata_sha256": metadata_sha256(version.meta),
        "curator": {"id": curator.id, "username": curator.username},
        "approved_at": at,
    }


def sign(version: MaterialVersion, material: Material, curator: User, signer: Signer, at: str) -> None:
    """Sign the approval of ``version``: its manifest, signature and key id are stored on it.

    Raises:
        Conflict: the version names files the material no longer has.
    """
    wanted = list(version.file_ids)
    by_id = {f.id: f for f in material.files}
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise Conflict(f"version {version.number} names files that no longer exist: {', '.join(missing)}")
    manifest = build_manifest(material, version, [by_id[i] for i in wanted], curator, at)
    version.manifest = manifest
    version.signature = signer.sign(manifest)
    version.key_id = signer.key_id


def signed_approval(versions: Sequence[MaterialVersion], number: int) -> MaterialVersion | None:
    """Version ``number`` when it is approved and carries its signed manifest, else None."""
    for v in versions:
        if v.number == number and v.state == WorkflowState.approved and v.signature and v.manifest:
            return v
    return None


class SignatureService:
    def signature(
        self, session: Session, actor: User | None, material_id: str, *, number: int | None = None
    ) -> SignatureRead:
        """The signed manifest of the live version (or of an older approved one)."""
        material = visible_material(session, actor, material_id)
        wanted = number if number is not None else material.version
        v = signed_approval(MaterialStore.from_session(session).versions(material.id), wanted)
        if v is not None:
            return SignatureRead(
                material_id=material.id,
                version=v.number,
                algorithm=ALGORITHM,
                key_id=v.key_id or "",
                manifest=v.manifest,
                signature=v.signature,
            )
        raise NotFound(f"material {material_id!r} has no signed approval for version {wanted}")

    def verify(
        self,
        session: Session,
        material_id: str,
        *,
        signer: Signer,
        blobs: BlobStore | None,
        number: int | None = None,
    ) -> VerifyReport:
        """Check one approved version against its signed manifest.

        Checks: the signature over the manifest; that the manifest names this material and
        version; the metadata hash (version row and, for the live version, the public row); each
        file's recorded sha256/size; and, when ``blobs`` is given, the stored bytes themselves.
        """
        material = CurationStore.from_session(session).material_full(material_id)
        if material is None:
            return VerifyReport(
                material_id=material_id, version=None, ok=False, problems=["no such material"]
            )
        wanted = number if number is not None else material.version
        version = next(
            (v for v in MaterialStore.from_session(session).versions(material.id) if v.number == wanted), None
        )
        if (
            version is None
            or version.state != WorkflowState.approved
            or not version.signature
            or not version.manifest
        ):
            why = (
                f"version {wanted} was taken down (withdrawn from public view)"
                if version is not None and version.signature and version.state == WorkflowState.withdrawn
                else f"version {wanted} has no signed approval"
            )
            return VerifyReport(material_id=material.id, version=wanted, ok=False, problems=[why])
        return self.verify_version(material, version, signer=signer, blobs=blobs)

    def verify_version(
        self, material: Material, version: MaterialVersion, *, signer: Signer, blobs: BlobStore | None
    ) -> VerifyReport:
        """Check a loaded approved version (files loaded) against its signed manifest."""
        problems: list[str] = []
        manifest = version.manifest or {}
        # The key the approval names (current or retired): old approvals verify after a rotation.
        problem = signer.check(version.key_id, manifest, version.signature or "")
        if problem is not None:
            problems.append(problem)
        if manifest.get("material_id") != material.id or manifest.get("version") != version.number:
            problems.append("the manifest names another material or version")
        expected = manifest.get("metadata_sha256")
        if metadata_sha256(version.meta) != expected:
            problems.append(f"version {version.number} metadata does not match the signed hash")
        if material.version == version.number and metadata_sha256(material.meta) != expected:
            problems.append("the published metadata does not match the signed hash")
        by_id = {f.id: f for f in material.files}
        checked = 0
        for entry in manifest.get("files", []):
            f = by_id.get(str(entry.get("id")))
            name = entry.get("filename", entry.get("id"))
            if f is None:
                problems.append(f"file {name}: no longer part of the material")
                continue
            if f.sha256 != entry.get("sha256") or f.size != entry.get("size"):
                problems.append(f"file {name}: recorded hash or size differs from the signed manifest")
            if blobs is not None:
                checked += 1
                if not blobs.exists(f.storage_key):
                    problems.append(f"file {name}: stored blob is missing")
                elif blobs.size(f.storage_key) != entry.get("size") or not blobs.verify(f.storage_key):
                    problems.append(f"file {name}: stored bytes do not match the signed sha256")
                elif f.storage_key.rsplit("/", 1)[-1] != entry.get("sha256"):
                    problems.append(f"file {name}: stored under another hash than the signed one")
        return VerifyReport(
            material_id=material.id,
            version=version.number,
            ok=not problems,
            problems=problems,
            checked_files=checked,
        )

    def find_signed_file(
        self, session: Session, sha256: str, size: int, *, signer: Signer
    ) -> tuple[Material, MaterialVersion, str] | None:
        """A valid signed approval that names a file with these bytes: the material, the version
        and the file's signed name (``hoclieu verify FILE``); None when there is none."""
        store = CurationStore.from_session(session)
        for version in store.approved_signed_versions():
            entries = [f for f in (version.manifest or {}).get("files", []) if f.get("sha256") == sha256]
            if not entries:
                continue
            material = store.material_full(version.material_id)
            if material is None:
                continue
            report = self.verify_version(material, version, signer=signer, blobs=None)
            if report.ok and entries[0].get("size") == size:
                return material, version, str(entries[0].get("filename"))
        return None


signatures = SignatureService()
