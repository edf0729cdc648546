"""Common Cartridge 1.3 export, checked structurally (the IMS XSDs could not be obtained here).

``check_cartridge`` is what an importing LMS relies on: the CC 1.3 namespaces and version, one
rooted-hierarchy organisation, unique XML IDs, every item pointing at a resource, every file
present in the zip (no path escapes), web links with absolute URLs, LOM metadata per resource.
"""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from typing import Any

from fastapi.testclient import TestClient

from repository.models import Role, WorkflowState
from repository.uow import UnitOfWork
from tests.factories import create_material, create_user, token_for

CP = "{http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1}"
LOMM = "{http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest}"
LOMR = "{http://ltsc.ieee.org/xsd/imsccv1p3/LOM/resource}"
WL = "{http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
NCNAME = re.compile(r"[A-Za-z_][\w.\-]*")
CHAPTER = "Chương II: Phân số"


def check_cartridge(data: bytes) -> ET.Element:
    """Structural validation of an .imscc; returns the manifest root."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    assert "imsmanifest.xml" in names
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)
    root = ET.fromstring(zf.read("imsmanifest.xml"))
    assert root.tag == f"{CP}manifest"
    assert root.findtext(f"{CP}metadata/{CP}schema") == "IMS Common Cartridge"
    assert root.findtext(f"{CP}metadata/{CP}schemaversion") == "1.3.0"
    assert root.find(f"{CP}metadata/{LOMM}lom/{LOMM}general/{LOMM}title/{LOMM}string") is not None
    locations = root.attrib[f"{XSI}schemaLocation"].split()
    assert len(locations) % 2 == 0
    assert {CP[1:-1], LOMM[1:-1], LOMR[1:-1]} <= set(locations[::2])
    ids = [e.attrib["identifier"] for e in root.iter() if "identifier" in e.attrib]
    assert len(ids) == len(set(ids)), "identifiers must be unique"
    assert all(NCNAME.fullmatch(i) for i in ids), ids
    [organization] = root.findall(f"{CP}organizations/{CP}organization")
    assert organization.attrib["structure"] == "rooted-hierarchy"
    [top] = organization.findall(f"{CP}item")
    assert "identifierref" not in top.attrib
    resources = {r.attrib["identifier"]: r for r in root.findall(f"{CP}resources/{CP}resource")}
    referenced = [i.attrib["identifierref"] for i in top.iter(f"{CP}item") if "identifierref" in i.attrib]
    assert referenced and set(referenced) <= set(resources)
    assert set(resources) <= set(referenced), "every resource is reachable from the organisation"
    for item in top.iter(f"{CP}item"):
        if item is not top:
            assert item.findtext(f"{CP}title")
    for rid, resource in resources.items():
        kind = resource.attrib["type"]
        assert kind in ("webcontent", "imswl_xmlv1p3"), kind
        hrefs = [f.attrib["href"] for f in resource.findall(f"{CP}file")]
        assert hrefs and set(hrefs) <= names, rid
        if kind == "webcontent":
            assert resource.attrib["href"] in hrefs
        else:
            link = ET.fromstring(zf.read(hrefs[0]))
            assert link.tag == f"{WL}webLink" and link.findtext(f"{WL}title")
            assert link.find(f"{WL}url").attrib["href"].startswith(("http://", "https://"))  # type: ignore[union-attr]
            lom = resource.find(f"{CP}metadata/{LOMR}lom")
            assert lom is not None and lom.findtext(f"{LOMR}general/{LOMR}title/{LOMR}string")
    return root


def world(runtime: Any) -> dict[str, str]:
    meta = {"subjects": ["toan"], "grades": [5], "chapter": CHAPTER, "license": "CC-BY-4.0"}
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        admin = create_user(s, username="quan_tri", role=Role.admin)
        teacher = create_user(s, username="co_lan", role=Role.teacher)

        def add(
            title: str, owner: Any, lesson: str, state: WorkflowState = WorkflowState.approved, **extra: Any
        ) -> str:
            return str(
                create_material(
                    s,
                    runtime,
                    owner,
                    title=title,
                    state=state,
                    content=f"%PDF-1.4 {title}".encode(),
                    metadata={**meta, "lesson": lesson, **extra},
                ).id
            )

        return {
            "a": add("Phân số bằng nhau", admin, "Bài 7: Phân số bằng nhau"),
            "b": add("Phiếu bài tập phân số bằng nhau", admin, "Bài 7: Phân số bằng nhau"),
            "c": add("So sánh phân số", admin, "Bài 8: So sánh phân số"),
            "other": add("Số thập phân", admin, "Bài 1", chapter="Chương III: Số thập phân"),
            "draft": add("Nháp của cô Lan", teacher, "Bài 8: So sánh phân số", state=WorkflowState.draft),
        }


def test_a_chapter_as_links(runtime: Any, client: TestClient) -> None:
    ids = world(runtime)
    r = client.get("/api/v1/exports/common-cartridge", params={"chapter": CHAPTER})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.ims.imsccv1p3"
    assert r.headers["content-disposition"].startswith("attachment;")
    root = check_cartridge(r.content)
    top = root.find(f"{CP}organizations/{CP}organization/{CP}item")
    assert top is not None
    lessons = {
        g.findtext(f"{CP}title"): [i.findtext(f"{CP}title") for i in g.findall(f"{CP}item")] for g in top
    }
    assert lessons == {
        "Bài 7: Phân số bằng nhau": ["Phân số bằng nhau", "Phiếu bài tập phân số bằng nhau"],
        "Bài 8: So sánh phân số": ["So sánh phân số"],
    }
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert not any(n.startswith("materials/") for n in names)  # links only
    urls = [
        ET.fromstring(zipfile.ZipFile(io.BytesIO(r.content)).read(n)).find(f"{WL}url").attrib["href"]  # type: ignore[union-attr]
        for n in names
        if n.startswith("links/")
    ]
    assert sorted(urls) == sorted(f"http://127.0.0.1:8000/m/{ids[k]}" for k in ("a", "b", "c"))


def test_a_lesson_with_embedded_files(runtime: Any, client: TestClient) -> None:
    ids = world(runtime)
    r = client.get(
        "/api/v1/exports/common-cartridge", params={"lesson": "Bài 7: Phân số bằng nhau", "files": "embed"}
    )
    assert r.status_code == 200
    check_cartridge(r.content)
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    packed = {n.split("/")[1]: zf.read(n) for n in zf.namelist() if n.startswith("materials/")}
    assert set(packed) == {ids["a"], ids["b"]}
    assert packed[ids["a"]] == "%PDF-1.4 Phân số bằng nhau".encode()
    assert (
        hashlib.sha256(packed[ids["b"]]).hexdigest()
        == hashlib.sha256("%PDF-1.4 Phiếu bài tập phân số bằng nhau".encode()).hexdigest()
    )


def test_a_teachers_selection_follows_visibility(runtime: Any, client: TestClient) -> None:
    ids = world(runtime)
    params = {"material": [ids["c"], ids["draft"]], "title": "Ôn tập phân số"}
    assert (
        client.get("/api/v1/exports/common-cartridge", params=params).status_code == 404
    )  # a draft is private
    teacher = token_for(client, "co_lan")
    r = client.get("/api/v1/exports/common-cartridge", params=params, headers=teacher)
    assert r.status_code == 200
    root = check_cartridge(r.content)
    title = root.findtext(f"{CP}metadata/{LOMM}lom/{LOMM}general/{LOMM}title/{LOMM}string")
    assert title == "Ôn tập phân số"
    assert len(root.findall(f"{CP}resources/{CP}resource")) == 2


def test_refusals(runtime: Any, client: TestClient) -> None:
    world(runtime)
    assert client.get("/api/v1/exports/common-cartridge").status_code == 422
    assert client.get("/api/v1/exports/common-cartridge", params={"chapter": "Chương XX"}).status_code == 404
    assert (
        client.get(
            "/api/v1/exports/common-cartridge", params={"chapter": CHAPTER, "files": "zip"}
        ).status_code
        == 422
    )


def test_the_material_page_links_its_package_and_its_lessons(runtime: Any, client: TestClient) -> None:
    ids = world(runtime)
    page = client.get(f"/m/{ids['a']}", headers={"Accept": "text/html"}).text
    links = re.findall(r'href="(/api/v1/exports/common-cartridge\?[^"]+)"', page)
    assert len(links) == 2
    for link in links:
        r = client.get(link.replace("&amp;", "&"))
        assert r.status_code == 200
        check_cartridge(r.content)


def test_file_names_cannot_escape_the_package(runtime: Any, client: TestClient) -> None:
    with UnitOfWork(runtime.db) as uow:
        admin = create_user(uow.session, username="quan_tri", role=Role.admin)
        m = create_material(
            uow.session,
            runtime,
            admin,
            title="Tệp lạ",
            state=WorkflowState.approved,
            filename="../../../etc/cron.d/x.pdf",
        )
        material_id = m.id
    r = client.get("/api/v1/exports/common-cartridge", params={"material": material_id, "files": "embed"})
    assert r.status_code == 200
    check_cartridge(r.content)  # no absolute path, no ".." segment
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert any(n.startswith(f"materials/{material_id}/") and n.endswith("x.pdf") for n in names)
