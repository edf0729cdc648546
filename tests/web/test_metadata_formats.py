"""LRMI records (about, thumbnail, dates, publisher, renditions), the portal's JSON-LD data block,
and a third-party OAI-PMH harvester (sickle) harvesting every offered format from a real server."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.models import Derivative, Role
from repository.uow import UnitOfWork
from tests.factories import create_material
from tests.repository.curation.helpers import MATH_5, finish_ingest, person, submit_and_approve
from tests.repository.test_oai import many_public
from tests.servers import start_server, stop_server

LOM = "{http://ltsc.ieee.org/xsd/LOM}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _blob(runtime: Any, data: bytes) -> Any:
    staged = runtime.blobs.stage()
    staged.write(data)
    return staged.commit()


def published_video(runtime: Any, title: str = "Diện tích hình tam giác") -> str:
    """A grade-5 maths lecture with a 360p rendition and a thumbnail, approved by a curator."""
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        teacher = person(s, "co_lan", Role.teacher)
        curator = person(s, "thay_toan", Role.curator, MATH_5)
        material = create_material(
            s,
            runtime,
            teacher,
            title=title,
            metadata={
                **MATH_5,
                "type": "video-bai-giang",
                "lesson": "Bài 12: Diện tích hình tam giác",
                "license": "CC-BY-4.0",
            },
            content=b"\x00\x00\x00\x18ftypmp42 video",
            filename="tam-giac.mp4",
        )
        f = material.files[0]
        rendition = _blob(runtime, b"360p rendition bytes")
        thumb = _blob(runtime, b"RIFF....WEBPthumb")
        s.add_all(
            [
                Derivative(
                    file_id=f.id,
                    kind="rendition",
                    label="360p",
                    media_type="video/mp4",
                    size=rendition.size,
                    sha256=rendition.sha256,
                    storage_key=rendition.key,
                    width=640,
                    height=360,
                    duration=312.4,
                ),
                Derivative(
                    file_id=f.id,
                    kind="thumbnail",
                    label="large",
                    media_type="image/webp",
                    size=thumb.size,
                    sha256=thumb.sha256,
                    storage_key=thumb.key,
                ),
            ]
        )
        finish_ingest(s, material)
        submit_and_approve(s, runtime.settings, teacher, curator, material)
        return str(material.id)


class TestLrmi:
    def test_the_record_has_the_new_properties(self, runtime: Any, client: TestClient) -> None:
        material_id = published_video(runtime)
        doc = client.get(f"/api/v1/materials/{material_id}/lrmi").json()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["dateCreated"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["datePublished"])
        assert doc["publisher"]["@type"] == "Organization" and doc["publisher"]["name"]
        assert doc["thumbnailUrl"].startswith("http://127.0.0.1:8000/api/v1/materials/")
        assert client.get(doc["thumbnailUrl"].removeprefix("http://127.0.0.1:8000")).status_code == 200
        about = {a["name"] for a in doc["about"]}
        assert {"Toán", "Bài 12: Diện tích hình tam giác"} <= about
        [video] = doc["associatedMedia"]
        assert video["@type"] == "VideoObject" and video["encodingFormat"] == "video/mp4"
        assert video["contentSize"] == f"{len(b'360p rendition bytes')} B"
        assert video["height"]["value"] == 360 and video["duration"] == "PT312S"

    def test_the_material_page_embeds_the_record_as_a_data_block(
        self, runtime: Any, client: TestClient
    ) -> None:
        material_id = published_video(runtime, title="Tam giác </script><script>alert(1)</script>")
        page = client.get(f"/m/{material_id}", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert (
            f'<link rel="alternate" type="application/ld+json" href="/api/v1/materials/{material_id}/lrmi"'
            in page.text
        )
        blocks = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page.text, re.S)
        assert len(blocks) == 1
        embedded = json.loads(blocks[0])  # the title's "</script>" did not end the block early
        assert embedded == client.get(f"/api/v1/materials/{material_id}/lrmi").json()
        assert "<script>alert(1)" not in page.text


class TestOaiLom:
    def test_a_lom_record_carries_the_curriculum(self, runtime: Any, client: TestClient) -> None:
        material_id = published_video(runtime)
        xml = client.get(
            "/oai",
            params={
                "verb": "GetRecord",
                "metadataPrefix": "oai_lom",
                "identifier": f"oai:127.0.0.1:{material_id}",
            },
        ).content
        lom = ET.fromstring(xml).find(f".//{LOM}lom")
        assert lom is not None
        assert lom.findtext(f"{LOM}general/{LOM}title/{LOM}string") == "Diện tích hình tam giác"
        assert lom.findtext(f"{LOM}educational/{LOM}learningResourceType/{LOM}value") == "lecture"
        taxa = [t.findtext(f"{LOM}id") for t in lom.iter(f"{LOM}taxon")]
        assert taxa == ["toan", "5"]
        assert lom.findtext(f"{LOM}technical/{LOM}location") == f"http://127.0.0.1:8000/m/{material_id}"


@pytest.fixture
def harvest_world(runtime: Any) -> dict[str, Any]:
    published_video(runtime)
    with UnitOfWork(runtime.db) as uow:
        admin = person(uow.session, "quan_tri", Role.admin)
        many_public(uow.session, admin, 104, title="Phiếu bài tập", subjects=["toan"], grades=[3])
    return {"count": 105}


def test_sickle_harvests_every_offered_format(runtime: Any, harvest_world: dict[str, Any]) -> None:
    """A third-party harvester over real HTTP: every format, through resumption tokens (pages of 100)."""
    from sickle import Sickle

    port, proc = start_server(runtime, env={"HOCLIEU_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0"})
    try:
        harvester = Sickle(f"http://127.0.0.1:{port}/oai", max_retries=0, timeout=30)
        prefixes = [f.metadataPrefix for f in harvester.ListMetadataFormats()]
        assert prefixes == ["oai_dc", "oai_lom"]
        for prefix in prefixes:
            records = list(harvester.ListRecords(metadataPrefix=prefix))
            assert len(records) == harvest_world["count"], prefix
            assert len({r.header.identifier for r in records}) == harvest_world["count"]
            titles = {
                (r.metadata.get("title") or [""])[0]
                if prefix == "oai_dc"
                else r.xml.findtext(f".//{LOM}title/{LOM}string")
                for r in records
            }
            assert "Diện tích hình tam giác" in titles, prefix
        lom = harvester.GetRecord(identifier=records[0].header.identifier, metadataPrefix="oai_lom")
        assert lom.xml.find(f".//{LOM}lom") is not None
        assert len(list(harvester.ListIdentifiers(metadataPrefix="oai_lom", set="grade:5"))) == 1
    finally:
        stop_server(proc)
