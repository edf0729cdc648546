"""Organisations: the public list and page, their team (managers invite and remove members),
and a material's contributing organisation. Every rule is in ``repository.organisation``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from repository.collection.archive import import_upload
from repository.collection.service import report_csv, summary
from repository.material.service import material as material_service
from repository.organisation.schemas import (
    MemberAdd,
    MemberRead,
    MemberUpdate,
    OrganisationCreate,
    OrganisationPage,
    OrganisationRead,
)
from repository.organisation.service import organisations
from web.deps import CurrentUser, OptionalUser, ReadSession, RuntimeDep, client_ip, write_uow

router = APIRouter(tags=["organisations"])


class OrganisationListItem(OrganisationRead):
    materials: int = Field(description="Approved materials it contributed.")


class MaterialOrganisation(BaseModel):
    organisation: str | None = Field(
        description="The organisation's slug, or null for an individual's material.", max_length=80
    )


class CollectionImportRequest(BaseModel):
    upload: str = Field(
        max_length=64,
        description="A completed resumable upload (/api/v1/uploads) of a ZIP: the table and its files.",
    )
    mapping: str = Field(
        max_length=1_000_000,
        description="The mapping file's text (TOML, or JSON): see README 'Bulk collections'.",
    )
    table: str | None = Field(
        None, max_length=500, description="The CSV inside the ZIP (default: its only CSV)."
    )
    dry_run: bool = Field(True, description="Check and report only; nothing is written.")


class CollectionRow(BaseModel):
    row: int
    file: str
    status: str = Field(description="would_create, would_skip, invalid (dry run); created, skipped, failed.")
    material_id: str | None
    sha256: str | None
    size: int | None
    title: str | None
    problems: list[str]


class CollectionReport(BaseModel):
    dry_run: bool
    summary: dict[str, int]
    rows: list[CollectionRow]


class MaterialOrganisationRead(BaseModel):
    material_id: str
    organisation: str | None


@router.get("/organisations", response_model=list[OrganisationListItem], summary="Every organisation")
def list_organisations(session: ReadSession) -> list[OrganisationListItem]:
    return [
        OrganisationListItem(**OrganisationRead.model_validate(o).model_dump(), materials=n)
        for o, n in organisations.all(session)
    ]


@router.post(
    "/organisations", response_model=OrganisationRead, status_code=201, summary="Create one (admins)"
)
def create_organisation(
    body: OrganisationCreate, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> OrganisationRead:
    with write_uow(runtime) as uow:
        org = organisations.create(uow.session, uow.session.merge(user), body, ip=client_ip(request))
        return OrganisationRead.model_validate(org)


@router.get(
    "/organisations/{slug}",
    response_model=OrganisationPage,
    summary="An organisation and its public materials by grade and subject, with counts",
)
def organisation_page(slug: str, session: ReadSession) -> OrganisationPage:
    return organisations.page(session, slug)


@router.get(
    "/organisations/{slug}/members",
    response_model=list[MemberRead],
    summary="Its team (for its members and admins)",
)
def list_members(slug: str, session: ReadSession, user: OptionalUser) -> list[MemberRead]:
    return organisations.members(session, user, slug)


@router.post(
    "/organisations/{slug}/members",
    response_model=MemberRead,
    status_code=201,
    summary="Invite an account with a role: member, curator or manager (managers and admins)",
)
def add_member(
    slug: str, body: MemberAdd, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> MemberRead:
    with write_uow(runtime) as uow:
        return organisations.add_member(
            uow.session, uow.session.merge(user), slug, body, ip=client_ip(request)
        )


@router.patch(
    "/organisations/{slug}/members/{username}",
    response_model=MemberRead,
    summary="Change a member's role (managers and admins)",
)
def update_member(
    slug: str, username: str, body: MemberUpdate, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> MemberRead:
    with write_uow(runtime) as uow:
        return organisations.update_member(
            uow.session, uow.session.merge(user), slug, username, body, ip=client_ip(request)
        )


@router.delete(
    "/organisations/{slug}/members/{username}",
    status_code=204,
    summary="Remove a member (managers and admins; anyone may leave)",
)
def remove_member(
    slug: str, username: str, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> Response:
    with write_uow(runtime) as uow:
        organisations.remove_member(
            uow.session, uow.session.merge(user), slug, username, ip=client_ip(request)
        )
    return Response(status_code=204)


@router.put(
    "/materials/{material_id}/organisation",
    response_model=MaterialOrganisationRead,
    tags=["materials"],
    summary="Name the organisation contributing a material (its owner, a member of it; or an admin)",
)
def set_material_organisation(
    material_id: str, body: MaterialOrganisation, request: Request, runtime: RuntimeDep, user: CurrentUser
) -> MaterialOrganisationRead:
    with write_uow(runtime) as uow:
        found = material_service.set_organisation(
            uow.session, uow.session.merge(user), material_id, body.organisation, ip=client_ip(request)
        )
        return MaterialOrganisationRead(material_id=found.id, organisation=body.organisation)


@router.post(
    "/organisations/{slug}/imports",
    response_model=CollectionReport,
    summary="Check (dry run) or import a collection in the organisation's name (its managers, admins)",
    description=(
        "Send the collection first as a resumable upload (a ZIP holding a CSV table and its files), then "
        "name it here with the mapping of the table's columns to Hoclieu's metadata. `dry_run` (the "
        "default) writes nothing and reports per row what would be created and every problem; a run "
        "imports, skipping files already imported (by content), so it can be repeated after an "
        "interruption. `format=csv` answers the report as CSV."
    ),
    responses={200: {"content": {"text/csv": {}}}},
)
def import_collection(
    slug: str,
    body: CollectionImportRequest,
    runtime: RuntimeDep,
    user: CurrentUser,
    format: Annotated[Literal["json", "csv"], Query(description="The report's format")] = "json",
) -> Response:
    settings = runtime.settings
    results = import_upload(
        runtime.db,
        runtime.blobs,
        user,
        slug,
        upload_id=body.upload,
        mapping=body.mapping,
        table=body.table,
        dry_run=body.dry_run,
        max_bytes=settings.max_upload_bytes,
        scratch=settings.spool,
    )
    if format == "csv":
        return Response(content=report_csv(results), media_type="text/csv; charset=utf-8")
    report = CollectionReport(
        dry_run=body.dry_run,
        summary=summary(results),
        rows=[CollectionRow(**asdict(r)) for r in results],
    )
    return Response(content=report.model_dump_json(), media_type="application/json")
