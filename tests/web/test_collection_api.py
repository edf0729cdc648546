"""``POST /api/v1/organisations/{slug}/imports``: a collection sent as a ZIP (a resumable upload),
checked with a dry run that writes nothing, imported, imported again (everything skipped), and the
attacks a ZIP can carry (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import stat
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.test_cli_collection import HEADER, MAPPING, snapshot
from tests.web.test_organisations_api import team  # noqa: F401  (fixture)
from tests.web.test_uploads import TUS, create, send_all

URL = "/api/v1/organisations/dhsp-ha-noi/imports"


def table(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def zipped(entries: dict[str, bytes], *, links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return buffer.getvalue()


GOOD = {
    "danh-muc.csv": table(
        [
            ["1", "Phân số", "Lớp 5", "Toán học", "Nguyễn Thị Lan", "", "", "tep/phan-so.txt"],
            ["2", "Số thập phân", "5", "Toán", "", "", "", "tep/so-thap-phan.txt"],
            ["3", "Lớp mười lăm", "15", "Toán", "", "", "", "tep/phan-so.txt"],
        ]
    ),
    "tep/phan-so.txt": "Phân số: tử số và mẫu số.".encode(),
    "tep/so-thap-phan.txt": "Số thập phân và phần nguyên.".encode(),
}


def send(client: TestClient, headers: dict[str, str], data: bytes) -> str:
    opened = create(client, headers | TUS, len(data), filename="bo-suu-tap.zip", filetype="application/zip")
    assert opened.status_code == 201, opened.text
    send_all(client, headers | TUS, opened.headers["Location"], data)
    return opened.headers["Location"].rsplit("/", 1)[-1]


@pytest.fixture
def manager(team: dict[str, Any]) -> dict[str, str]:  # noqa: F811
    return team["co_nga"]


class TestCollectionApi:
    def test_dry_run_then_import_then_nothing_new(
        self, runtime: Any, client: TestClient, manager: dict[str, str]
    ) -> None:
        upload = send(client, manager, zipped(GOOD))
        before = snapshot(runtime)
        dry = client.post(URL, json={"upload": upload, "mapping": MAPPING}, headers=manager)
        assert dry.status_code == 200, dry.text
        assert snapshot(runtime) == before  # the dry run wrote nothing
        body = dry.json()
        assert body["summary"] == {"rows": 3, "invalid": 1, "would_create": 2}
        assert any("grades" in p for p in body["rows"][2]["problems"])
        as_csv = client.post(
            URL + "?format=csv", json={"upload": upload, "mapping": MAPPING}, headers=manager
        )
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert [r["status"] for r in csv.DictReader(io.StringIO(as_csv.text))] == [
            "would_create",
            "would_create",
            "invalid",
        ]
        run = client.post(URL, json={"upload": upload, "mapping": MAPPING, "dry_run": False}, headers=manager)
        assert run.json()["summary"] == {"rows": 3, "created": 2, "failed": 1}
        page = client.get("/api/v1/organisations/dhsp-ha-noi").json()
        assert page["total"] == 0  # drafts until a curator approves them
        again = client.post(
            URL, json={"upload": upload, "mapping": MAPPING, "dry_run": False}, headers=manager
        )
        assert again.json()["summary"] == {"rows": 3, "failed": 1, "skipped": 2}
        mine = client.get("/api/v1/materials", params={"mine": "true"}, headers=manager).json()
        assert mine["total"] == 2

    @pytest.mark.parametrize(
        ("entries", "links", "expected"),
        [
            ({**GOOD, "../../ra-ngoai.txt": b"x"}, (), "outside the collection"),
            ({**GOOD, "/etc/cron.d/x": b"x"}, (), "outside the collection"),
            (GOOD, ("tep/lien-ket.txt",), "symbolic link"),
        ],
        ids=["dot-dot", "absolute", "symlink"],
    )
    def test_an_unsafe_zip_is_refused_and_nothing_is_written(
        self,
        runtime: Any,
        client: TestClient,
        manager: dict[str, str],
        entries: dict[str, bytes],
        links: tuple[str, ...],
        expected: str,
    ) -> None:
        upload = send(client, manager, zipped(entries, links=links))
        before = snapshot(runtime)
        refused = client.post(
            URL, json={"upload": upload, "mapping": MAPPING, "dry_run": False}, headers=manager
        )
        assert refused.status_code == 422, refused.text
        assert expected in refused.json()["error"]["message"]
        assert snapshot(runtime) == before
        spool = runtime.settings.spool
        assert not any(p.name.startswith("collection-") for p in spool.iterdir()), (
            "scratch folder left behind"
        )

    def test_a_zip_bomb_stops_at_the_size_limit(
        self, runtime: Any, client: TestClient, manager: dict[str, str]
    ) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("danh-muc.csv", GOOD["danh-muc.csv"])
            zf.writestr("tep/phan-so.txt", b"\0" * (runtime.settings.max_upload_bytes + 1))
        upload = send(client, manager, buffer.getvalue())
        refused = client.post(URL, json={"upload": upload, "mapping": MAPPING}, headers=manager)
        assert refused.status_code == 422
        assert "more than" in refused.json()["error"]["message"]

    def test_who_may_import_and_what_is_not_a_collection(
        self,
        client: TestClient,
        team: dict[str, Any],  # noqa: F811
    ) -> None:
        upload = send(client, team["co_nga"], zipped(GOOD))
        body = {"upload": upload, "mapping": MAPPING}
        assert client.post(URL, json=body).status_code == 401
        # Not a manager of the organisation.
        assert client.post(URL, json=body, headers=team["co_lan"]).status_code == 403
        # Someone else's upload does not exist for the caller (here an admin).
        assert client.post(URL, json=body, headers=team["quan_tri"]).status_code == 404
        bad_mapping = client.post(URL, json={**body, "mapping": "file = "}, headers=team["co_nga"])
        assert bad_mapping.status_code == 422
        not_zip = send(client, team["co_nga"], b"%PDF-1.4 not a zip")
        refused = client.post(URL, json={**body, "upload": not_zip}, headers=team["co_nga"])
        assert refused.status_code == 422
        assert "ZIP" in refused.json()["error"]["message"]
        opened = create(client, team["co_nga"] | TUS, 100, filename="dang-do.zip", filetype="application/zip")
        unfinished = opened.headers["Location"].rsplit("/", 1)[-1]
        assert (
            client.post(URL, json={**body, "upload": unfinished}, headers=team["co_nga"]).status_code == 409
        )
        two = send(client, team["co_nga"], zipped({**GOOD, "khac.csv": GOOD["danh-muc.csv"]}))
        ambiguous = client.post(URL, json={**body, "upload": two}, headers=team["co_nga"])
        assert ambiguous.status_code == 422
        assert "table" in ambiguous.json()["error"]["message"]
        named = client.post(URL, json={**body, "upload": two, "table": "khac.csv"}, headers=team["co_nga"])
        assert named.status_code == 200
