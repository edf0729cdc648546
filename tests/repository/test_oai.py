"""The OAI-PMH provider (repository.oai.service) against a real database.

Responses are parsed with ElementTree and checked against what OAI-PMH 2.0 requires of each
verb (https://www.openarchives.org/OAI/openarchivesprotocol.html): the envelope
(``responseDate``, ``request``), the verb's required children, headers and records, resumption
tokens, and the error codes.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy.orm import Session

from repository.curation.decisions import reviews
from repository.curation.workflow import workflow
from repository.metadata import validate_metadata
from repository.models import Material, Role, User, WorkflowState
from repository.oai.service import OaiConfig, oai
from repository.oai.tokens import TokenCodec
from repository.runtime import Runtime
from repository.signing import signer_for
from tests.factories import create_material, create_user
from tests.repository.curation.helpers import finish_ingest

OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
T0 = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)

CONFIG = OaiConfig(
    base_url="https://hoclieu.edu.vn", secret="bi-mat-thu-nghiem", admin_email="oai@hoclieu.edu.vn"
)
HOST = "hoclieu.edu.vn"


# --- helpers (also used by tests/web/test_oai.py) ----------------------------------------------


def envelope(body: bytes, *, endpoint: str = CONFIG.endpoint) -> ET.Element:
    """Parse a response and check the parts every OAI-PMH response has (spec 3.2)."""
    assert body.startswith(b"<?xml"), body[:60]
    root = ET.fromstring(body)
    assert root.tag == f"{OAI}OAI-PMH"
    assert root.get(f"{XSI}schemaLocation", "").startswith("http://www.openarchives.org/OAI/2.0/ ")
    children = list(root)
    assert [c.tag for c in children[:2]] == [f"{OAI}responseDate", f"{OAI}request"]
    assert SECONDS.fullmatch(children[0].text or "")
    assert children[1].text == endpoint
    rest = children[2:]
    assert rest, "a response holds either errors or the verb's element"
    errors = [c for c in rest if c.tag == f"{OAI}error"]
    assert not errors or len(errors) == len(rest), "errors and a verb element never mix"
    return root


def error_code(root: ET.Element) -> str | None:
    found = root.find(f"{OAI}error")
    return found.get("code") if found is not None else None


def verb_element(root: ET.Element, verb: str) -> ET.Element:
    assert error_code(root) is None, ET.tostring(root)
    node = root.find(f"{OAI}{verb}")
    assert node is not None, ET.tostring(root)[:500]
    return node


def check_header(header: ET.Element) -> dict[str, Any]:
    """A record header: identifier, datestamp (seconds granularity), setSpecs, status."""
    assert header.tag == f"{OAI}header"
    identifier = header.findtext(f"{OAI}identifier")
    stamp = header.findtext(f"{OAI}datestamp")
    assert identifier
    assert re.fullmatch(r"oai:[^:]+:[0-9a-f-]{36}", identifier)
    assert stamp
    assert SECONDS.fullmatch(stamp)
    assert header.get("status") in (None, "deleted")
    return {
        "identifier": identifier,
        "datestamp": stamp,
        "deleted": header.get("status") == "deleted",
        "sets": [s.text for s in header.findall(f"{OAI}setSpec")],
    }


def check_record(record: ET.Element) -> dict[str, Any]:
    """A record: header, then metadata holding one oai_dc:dc unless the record is deleted."""
    assert record.tag == f"{OAI}record"
    info = check_header(record.find(f"{OAI}header"))  # type: ignore[arg-type]
    metadata = record.find(f"{OAI}metadata")
    if info["deleted"]:
        assert metadata is None
        return info
    assert metadata is not None
    assert len(metadata) == 1
    dc = metadata[0]
    assert dc.tag == f"{OAI_DC}dc"
    assert all(child.tag.startswith(DC) for child in dc)
    info["title"] = dc.findtext(f"{DC}title")
    info["dc"] = dc
    return info


def uuid_of(identifier: str) -> str:
    return identifier.rsplit(":", 1)[1]


def ask(session: Session, now: datetime | None = None, config: OaiConfig = CONFIG, **args: Any) -> ET.Element:
    query = urlencode({k.rstrip("_"): v for k, v in args.items()})  # from_ → from
    return envelope(oai.handle(session, query, config, now=now), endpoint=config.endpoint)


def harvest(
    session: Session, verb: str = "ListIdentifiers", now: datetime | None = None, **args: Any
) -> Iterator[tuple[ET.Element, ET.Element | None]]:
    """Follow resumption tokens to the end; yields each page's verb element and its token."""
    root = ask(session, now=now, verb=verb, metadataPrefix="oai_dc", **args)
    while True:
        node = verb_element(root, verb)
        token = node.find(f"{OAI}resumptionToken")
        yield node, token
        if token is None or not token.text:
            return
        root = ask(session, now=now, verb=verb, resumptionToken=token.text)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def admin(session: Session) -> User:
    return create_user(session, username="quan_tri", role=Role.admin)


def public(
    session: Session,
    runtime: Runtime,
    owner: User,
    title: str = "Phân số",
    *,
    at: datetime | None = None,
    **metadata: Any,
) -> Material:
    m = create_material(
        session,
        runtime,
        owner,
        title=title,
        state=WorkflowState.approved,
        metadata=metadata,
        content=f"{title}|{metadata}|{at}".encode(),
    )
    if at is not None:
        m.updated_at = at
        session.flush()
    return m


def many_public(
    session: Session,
    owner: User,
    count: int,
    *,
    title: str = "Học liệu số",
    at: datetime = T0,
    per_second: int = 3,
    **metadata: Any,
) -> list[str]:
    """``count`` approved materials, fast: rows straight into the real table (no files, no jobs),
    ``per_second`` of them sharing each datestamp so the keyset's id tiebreak is exercised."""
    rows = []
    for i in range(count):
        doc = validate_metadata({"title": f"{title} {i}", **metadata})
        stamp = at + timedelta(seconds=i // per_second)
        rows.append(
            Material(
                meta=doc,
                schema=doc["$schema"],
                title=doc["title"],
                owner=owner,
                files=[],
                state=WorkflowState.approved.value,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    session.add_all(rows)
    session.flush()
    return [m.id for m in rows]


# --- tests -------------------------------------------------------------------------------------


class TestIdentify:
    def test_required_elements(self, session: Session, runtime: Runtime, admin: User) -> None:
        public(session, runtime, admin, at=T0)
        public(session, runtime, admin, at=T0 + timedelta(days=3))
        node = verb_element(ask(session, verb="Identify"), "Identify")
        # Spec 4.2: these, in this order, then optional ones.
        tags = [c.tag.removeprefix(OAI) for c in node]
        assert tags[:7] == [
            "repositoryName",
            "baseURL",
            "protocolVersion",
            "adminEmail",
            "earliestDatestamp",
            "deletedRecord",
            "granularity",
        ]
        assert node.findtext(f"{OAI}baseURL") == "https://hoclieu.edu.vn/oai"
        assert node.findtext(f"{OAI}protocolVersion") == "2.0"
        assert node.findtext(f"{OAI}earliestDatestamp") == "2024-05-01T08:00:00Z"
        assert node.findtext(f"{OAI}deletedRecord") == "transient"
        assert node.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
        assert node.findtext(f"{OAI}adminEmail") == "oai@hoclieu.edu.vn"

    def test_oai_identifier_description_for_a_domain(self, session: Session) -> None:
        node = verb_element(ask(session, verb="Identify"), "Identify")
        ns = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"
        ident = node.find(f"{OAI}description/{ns}oai-identifier")
        assert ident is not None
        assert ident.findtext(f"{ns}repositoryIdentifier") == HOST
        assert (ident.findtext(f"{ns}sampleIdentifier") or "").startswith(f"oai:{HOST}:")

    def test_no_oai_identifier_description_behind_an_ip_address(self, session: Session) -> None:
        config = OaiConfig(base_url="http://127.0.0.1:8000", secret="x", admin_email="a@b.vn")
        node = verb_element(ask(session, config=config, verb="Identify"), "Identify")
        assert node.find(f"{OAI}description") is None
        assert node.findtext(f"{OAI}earliestDatestamp") == "1970-01-01T00:00:00Z"  # empty repository

    def test_request_echoes_the_arguments(self, session: Session) -> None:
        request = ask(session, verb="Identify").find(f"{OAI}request")
        assert request is not None
        assert request.attrib == {"verb": "Identify"}


class TestMetadataFormats:
    def test_oai_dc_and_oai_lom_are_offered(self, session: Session) -> None:
        node = verb_element(ask(session, verb="ListMetadataFormats"), "ListMetadataFormats")
        formats = node.findall(f"{OAI}metadataFormat")
        assert [f.findtext(f"{OAI}metadataPrefix") for f in formats] == ["oai_dc", "oai_lom"]
        assert formats[0].findtext(f"{OAI}metadataNamespace") == "http://www.openarchives.org/OAI/2.0/oai_dc/"
        assert formats[0].findtext(f"{OAI}schema") == "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
        assert formats[1].findtext(f"{OAI}metadataNamespace") == "http://ltsc.ieee.org/xsd/LOM"
        assert formats[1].findtext(f"{OAI}schema") == "http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd"

    def test_for_an_item(self, session: Session, runtime: Runtime, admin: User) -> None:
        m = public(session, runtime, admin)
        verb_element(
            ask(session, verb="ListMetadataFormats", identifier=f"oai:{HOST}:{m.id}"), "ListMetadataFormats"
        )
        unknown = ask(
            session, verb="ListMetadataFormats", identifier=f"oai:{HOST}:{'0' * 8}-0000-0000-0000-{'0' * 12}"
        )
        assert error_code(unknown) == "idDoesNotExist"


class TestSets:
    def test_list_sets_from_the_vocabularies_with_vietnamese_names(self, session: Session) -> None:
        node = verb_element(ask(session, verb="ListSets"), "ListSets")
        names = {s.findtext(f"{OAI}setSpec"): s.findtext(f"{OAI}setName") for s in node.findall(f"{OAI}set")}
        assert names["subject"] == "Môn học"
        assert names["subject:toan"] == "Môn học: Toán"
        assert names["grade:5"] == "Lớp 5"
        assert names["type:phieu-hoc-tap"] == "Loại học liệu: Phiếu học tập"
        assert {"grade", "type", "subject:tieng-viet", "grade:12"} <= set(names)
        assert all(unicodedata.is_normalized("NFC", n or "") for n in names.values())
        description = node.find(f"{OAI}set/{OAI}setDescription/{OAI_DC}dc/{DC}description")
        assert description is not None
        assert description.text == "Subject"

    def test_selective_harvest(self, session: Session, runtime: Runtime, admin: User) -> None:
        math5 = public(session, runtime, admin, "Toán 5", subjects=["toan"], grades=[5], type="phieu-hoc-tap")
        lit6 = public(session, runtime, admin, "Ngữ văn 6", subjects=["ngu-van"], grades=[6])
        untyped = public(session, runtime, admin, "Không phân loại")

        def ids(spec: str) -> set[str]:
            root = ask(session, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)
            if error_code(root) == "noRecordsMatch":
                return set()
            node = verb_element(root, "ListIdentifiers")
            return {uuid_of(check_header(h)["identifier"]) for h in node.findall(f"{OAI}header")}

        assert ids("subject:toan") == {math5.id}
        assert ids("grade:6") == {lit6.id}
        assert ids("type:phieu-hoc-tap") == {math5.id}
        assert ids("subject") == {math5.id, lit6.id}  # a parent set holds its children
        assert ids("type") == {math5.id}
        assert ids("grade:12") == set()
        assert untyped.id not in ids("subject")

    def test_headers_name_the_sets(self, session: Session, runtime: Runtime, admin: User) -> None:
        m = public(session, runtime, admin, subjects=["toan"], grades=[8, 9], type="de-kiem-tra")
        root = ask(session, verb="GetRecord", identifier=f"oai:{HOST}:{m.id}", metadataPrefix="oai_dc")
        record = check_record(verb_element(root, "GetRecord").find(f"{OAI}record"))  # type: ignore[arg-type]
        assert record["sets"] == ["subject:toan", "grade:8", "grade:9", "type:de-kiem-tra"]

    def test_unknown_set_matches_nothing(self, session: Session, runtime: Runtime, admin: User) -> None:
        public(session, runtime, admin, subjects=["toan"])
        for spec in ("subject:hoa-hoc-vo-co", "grade:13", "mon", "subject:toan:extra"):
            root = ask(session, verb="ListRecords", metadataPrefix="oai_dc", set=spec)
            assert error_code(root) == "noRecordsMatch", spec


class TestRecords:
    def test_get_record_dublin_core(self, session: Session, runtime: Runtime, admin: User) -> None:
        m = public(
            session,
            runtime,
            admin,
            "Phép cộng trong phạm vi 10",
            subjects=["toan"],
            grades=[1],
            license="CC-BY-4.0",
            authors=[{"name": "Nguyễn Thị Lan", "role": "author"}],
        )
        node = verb_element(
            ask(session, verb="GetRecord", identifier=f"oai:{HOST}:{m.id}", metadataPrefix="oai_dc"),
            "GetRecord",
        )
        record = check_record(node.find(f"{OAI}record"))  # type: ignore[arg-type]
        dc = record["dc"]
        assert record["title"] == "Phép cộng trong phạm vi 10"
        assert dc.findtext(f"{DC}creator") == "Nguyễn Thị Lan"
        identifiers = [e.text for e in dc.findall(f"{DC}identifier")]
        assert f"https://hoclieu.edu.vn/m/{m.id}" in identifiers
        assert f"urn:uuid:{m.id}" in identifiers
        assert "Toán" in [e.text for e in dc.findall(f"{DC}subject")]
        assert dc.findtext(f"{DC}rights", "").startswith("https://creativecommons.org/")

    def test_vietnamese_text_round_trips_as_nfc(
        self, session: Session, runtime: Runtime, admin: User
    ) -> None:
        title = "Tiếng Việt lớp 1: Âm ơ, ư — “Bà đi chợ” & <ôn tập>"
        decomposed = unicodedata.normalize("NFD", title)
        m = public(session, runtime, admin, decomposed, keywords=[unicodedata.normalize("NFD", "đánh vần")])
        raw = oai.handle(
            session,
            urlencode({"verb": "GetRecord", "identifier": f"oai:{HOST}:{m.id}", "metadataPrefix": "oai_dc"}),
            CONFIG,
        )
        raw.decode("utf-8")  # UTF-8 throughout
        record = check_record(envelope(raw).find(f"{OAI}GetRecord/{OAI}record"))  # type: ignore[arg-type]
        assert record["title"] == title  # escaped markup comes back, composed
        assert "đánh vần" in [e.text for e in record["dc"].findall(f"{DC}subject")]

    def test_list_records_carry_metadata(self, session: Session, runtime: Runtime, admin: User) -> None:
        for i in range(3):
            public(session, runtime, admin, f"Bài {i}", at=T0 + timedelta(minutes=i))
        node = verb_element(ask(session, verb="ListRecords", metadataPrefix="oai_dc"), "ListRecords")
        titles = [check_record(r)["title"] for r in node.findall(f"{OAI}record")]
        assert titles == ["Bài 0", "Bài 1", "Bài 2"]  # datestamp order
        assert node.find(f"{OAI}resumptionToken") is None  # a complete list needs no token


class TestVisibility:
    def test_only_approved_materials_appear(self, session: Session, runtime: Runtime, admin: User) -> None:
        teacher = create_user(session, username="co_lan", role=Role.teacher)
        shown = public(session, runtime, admin, "Công khai")
        hidden = [
            create_material(
                session, runtime, teacher, title=f"Ẩn {state}", state=state, content=state.value.encode()
            )
            for state in (WorkflowState.draft, WorkflowState.submitted, WorkflowState.rejected)
        ]
        for verb in ("ListIdentifiers", "ListRecords"):
            seen = set()
            for node, _token in harvest(session, verb):
                seen |= {uuid_of(h.text or "") for h in node.iter(f"{OAI}identifier")}
            assert seen == {shown.id}
        for m in hidden:
            root = ask(session, verb="GetRecord", identifier=f"oai:{HOST}:{m.id}", metadataPrefix="oai_dc")
            assert error_code(root) == "idDoesNotExist"

    def test_a_material_taken_offline_is_a_deleted_record(
        self, session: Session, runtime: Runtime, admin: User
    ) -> None:
        m = create_material(session, runtime, admin, title="Sẽ gỡ xuống", metadata={"subjects": ["toan"]})
        finish_ingest(session, m)
        reviews.publish_direct(session, admin, m.id, signer=signer_for(runtime.settings), note="nhập từ sở")
        assert (
            ask(session, verb="GetRecord", identifier=f"oai:{HOST}:{m.id}", metadataPrefix="oai_dc").find(
                f"{OAI}GetRecord/{OAI}record/{OAI}metadata"
            )
            is not None
        )
        # Taken offline (no API does this yet; an administrator's takedown would): public no more.
        m.state = WorkflowState.withdrawn.value
        session.flush()
        root = ask(session, verb="GetRecord", identifier=f"oai:{HOST}:{m.id}", metadataPrefix="oai_dc")
        record = check_record(verb_element(root, "GetRecord").find(f"{OAI}record"))  # type: ignore[arg-type]
        assert record["deleted"]
        assert "title" not in record
        node = verb_element(
            ask(session, verb="ListRecords", metadataPrefix="oai_dc", set="subject:toan"), "ListRecords"
        )
        assert [check_record(r)["deleted"] for r in node.findall(f"{OAI}record")] == [True]

    def test_never_public_material_is_not_a_deleted_record(
        self, session: Session, runtime: Runtime, admin: User
    ) -> None:
        m = create_material(session, runtime, admin, title="Chưa duyệt")
        finish_ingest(session, m)
        workflow.submit(session, admin, m.id)  # a version row, submitted, never approved
        root = ask(session, verb="ListIdentifiers", metadataPrefix="oai_dc")
        assert error_code(root) == "noRecordsMatch"


class TestFromUntil:
    @pytest.fixture
    def dated(self, session: Session, runtime: Runtime, admin: User) -> dict[str, str]:
        stamps = {
            "a": datetime(2024, 4, 30, 23, 59, 59, 999000, tzinfo=UTC),
            "b": datetime(2024, 5, 1, 0, 0, 0, tzinfo=UTC),
            "c": datetime(2024, 5, 1, 12, 30, 15, 400000, tzinfo=UTC),
            "d": datetime(2024, 5, 2, 0, 0, 0, tzinfo=UTC),
        }
        return {public(session, runtime, admin, name, at=at).id: name for name, at in stamps.items()}

    def names(self, session: Session, dated: dict[str, str], **args: Any) -> list[str]:
        root = ask(session, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
        if error_code(root) == "noRecordsMatch":
            return []
        node = verb_element(root, "ListIdentifiers")
        return [dated[uuid_of(h.findtext(f"{OAI}identifier") or "")] for h in node.findall(f"{OAI}header")]

    def test_day_granularity_is_inclusive(self, session: Session, dated: dict[str, str]) -> None:
        assert self.names(session, dated, from_="2024-05-01", until="2024-05-01") == ["b", "c"]
        assert self.names(session, dated, from_="2024-05-01") == ["b", "c", "d"]
        assert self.names(session, dated, until="2024-04-30") == ["a"]

    def test_seconds_granularity_is_inclusive(self, session: Session, dated: dict[str, str]) -> None:
        # c is at 12:30:15.4: its datestamp says 12:30:15, so until=12:30:15 includes it.
        assert self.names(session, dated, from_="2024-05-01T12:30:15Z", until="2024-05-01T12:30:15Z") == ["c"]
        assert self.names(session, dated, from_="2024-05-01T12:30:16Z") == ["d"]
        assert self.names(session, dated, until="2024-04-30T23:59:59Z") == ["a"]
        assert self.names(session, dated, from_="2024-05-03T00:00:00Z") == []

    def test_datestamps_are_utc_seconds(self, session: Session, dated: dict[str, str]) -> None:
        node = verb_element(ask(session, verb="ListIdentifiers", metadataPrefix="oai_dc"), "ListIdentifiers")
        stamps = [h.findtext(f"{OAI}datestamp") for h in node.findall(f"{OAI}header")]
        assert stamps == [
            "2024-04-30T23:59:59Z",
            "2024-05-01T00:00:00Z",
            "2024-05-01T12:30:15Z",
            "2024-05-02T00:00:00Z",
        ]


class TestPaging:
    @pytest.fixture
    def many(self, session: Session, admin: User) -> list[str]:
        return many_public(session, admin, 230)

    @pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
    def test_resumption_tokens_walk_the_whole_list(
        self, session: Session, many: list[str], verb: str
    ) -> None:
        pages = list(harvest(session, verb))
        assert len(pages) == 3
        seen: list[str] = []
        for number, (node, token) in enumerate(pages):
            seen += [uuid_of(h.text or "") for h in node.iter(f"{OAI}identifier")]
            assert token is not None
            assert token.get("completeListSize") == "230"
            assert token.get("cursor") == str(number * 100)
        assert [len(list(node.iter(f"{OAI}header"))) for node, _ in pages] == [100, 100, 30]
        assert pages[-1][1] is not None
        assert not pages[-1][1].text
        assert sorted(seen) == sorted(many)
        assert len(seen) == 230

    def test_token_keeps_the_query(self, session: Session, admin: User) -> None:
        many_public(session, admin, 120, title="Toán", subjects=["toan"])
        many_public(session, admin, 120, title="Văn", subjects=["ngu-van"])
        pages = list(harvest(session, "ListIdentifiers", set="subject:toan"))
        sets = {s.text for node, _ in pages for s in node.iter(f"{OAI}setSpec")}
        assert sets == {"subject:toan"}
        assert sum(len(node.findall(f"{OAI}header")) for node, _ in pages) == 120

    def test_an_update_during_a_harvest_loses_nothing(self, session: Session, many: list[str]) -> None:
        start = datetime.now(UTC)
        first = ask(session, now=start, verb="ListIdentifiers", metadataPrefix="oai_dc")
        node = verb_element(first, "ListIdentifiers")
        page1 = [uuid_of(h.text or "") for h in node.iter(f"{OAI}identifier")]
        token = node.findtext(f"{OAI}resumptionToken")
        # A record not yet delivered changes, which moves it past the frozen end of this harvest...
        changed = next(i for i in many if i not in page1)
        material = session.get(Material, changed)
        assert material is not None
        material.updated_at = start + timedelta(seconds=5)
        session.flush()
        rest: list[str] = []
        while token:
            node = verb_element(
                ask(session, verb="ListIdentifiers", resumptionToken=token), "ListIdentifiers"
            )
            rest += [uuid_of(h.text or "") for h in node.iter(f"{OAI}identifier")]
            token = node.findtext(f"{OAI}resumptionToken")
        assert changed not in rest
        assert len(page1) + len(rest) == 229
        # ...and the next incremental harvest, from this harvest's responseDate, delivers it.
        since = first.findtext(f"{OAI}responseDate") or ""
        later = verb_element(
            ask(
                session,
                now=start + timedelta(minutes=1),
                verb="ListIdentifiers",
                metadataPrefix="oai_dc",
                from_=since,
            ),
            "ListIdentifiers",
        )
        assert [uuid_of(h.text or "") for h in later.iter(f"{OAI}identifier")] == [changed]


def _token(session: Session, verb: str = "ListIdentifiers") -> str:
    node = verb_element(ask(session, verb=verb, metadataPrefix="oai_dc"), verb)
    token = node.findtext(f"{OAI}resumptionToken")
    assert token
    return token


class TestErrors:
    """Every error code of spec 3.6 that applies (noSetHierarchy cannot occur: sets are supported)."""

    @pytest.mark.parametrize(
        "query",
        [
            "",
            "verb=",
            "verb=Harvest",
            "verb=listrecords",
            "verb=Identify&verb=Identify",
            "metadataPrefix=oai_dc",
        ],
    )
    def test_bad_verb(self, session: Session, query: str) -> None:
        root = envelope(oai.handle(session, query, CONFIG))
        assert error_code(root) == "badVerb"
        request = root.find(f"{OAI}request")
        assert request is not None
        assert request.attrib == {}

    @pytest.mark.parametrize(
        "query",
        [
            "verb=Identify&set=toan",  # argument the verb does not take
            "verb=ListRecords",  # required argument missing
            "verb=GetRecord&metadataPrefix=oai_dc",
            "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc",  # repeated
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024-13-01",  # not a date
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024-05-01T10:00:00",  # no Z
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024-05-01T10:00Z",  # minutes granularity
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024-05-01&until=2024-05-02T00:00:00Z",  # mixed
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024-05-02&until=2024-05-01",  # from > until
            "verb=ListRecords&metadataPrefix=oai_dc&set=",  # empty value
            "verb=ListRecords&metadataPrefix=oai_dc&set=m%C3%B4n",  # not a setSpec
            "verb=ListRecords&resumptionToken=abc&metadataPrefix=oai_dc",  # token is exclusive
            "verb=Identify&" + "x=1&" * 30,  # too many arguments
            "verb=Identify&x=" + "a" * 9000,  # too long
        ],
    )
    def test_bad_argument(self, session: Session, query: str) -> None:
        root = envelope(oai.handle(session, query, CONFIG))
        assert error_code(root) == "badArgument", query
        request = root.find(f"{OAI}request")
        assert request is not None
        assert request.attrib == {}

    def test_cannot_disseminate_format(self, session: Session, runtime: Runtime, admin: User) -> None:
        m = public(session, runtime, admin)
        for args in (
            {"verb": "ListRecords", "metadataPrefix": "marc21"},
            {"verb": "ListIdentifiers", "metadataPrefix": "lrmi"},
            {"verb": "GetRecord", "metadataPrefix": "oai_ddc", "identifier": f"oai:{HOST}:{m.id}"},
        ):
            root = ask(session, None, CONFIG, **args)
            assert error_code(root) == "cannotDisseminateFormat"
            assert root.find(f"{OAI}request").attrib == args  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        "identifier",
        [
            "oai:hoclieu.edu.vn:00000000-0000-0000-0000-000000000000",
            "oai:other.example.org:{id}",  # another repository's item
            "{id}",  # the bare uuid is not the OAI identifier
            "oai:hoclieu.edu.vn:' or 1=1 --",
        ],
    )
    def test_id_does_not_exist(
        self, session: Session, runtime: Runtime, admin: User, identifier: str
    ) -> None:
        m = public(session, runtime, admin)
        root = ask(session, verb="GetRecord", metadataPrefix="oai_dc", identifier=identifier.format(id=m.id))
        assert error_code(root) == "idDoesNotExist"

    def test_no_records_match(self, session: Session, runtime: Runtime, admin: User) -> None:
        assert error_code(ask(session, verb="ListRecords", metadataPrefix="oai_dc")) == "noRecordsMatch"
        public(session, runtime, admin, at=T0)
        assert (
            error_code(ask(session, verb="ListIdentifiers", metadataPrefix="oai_dc", from_="2030-01-01"))
            == "noRecordsMatch"
        )

    def test_tampered_token(self, session: Session, admin: User) -> None:
        many_public(session, admin, 101)
        token = _token(session)
        payload, mac = token.split(".")
        # Same MAC, payload with the cursor pushed along: refused.
        data = TokenCodec(CONFIG.secret).load(token)
        forged_payload = TokenCodec("another secret").dump({**data, "cursor": 0}).split(".")[0]
        flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
        for bad in (
            f"{forged_payload}.{mac}",
            f"{payload}.{flipped}",
            token[:-3],
            "không-phải-token",
            TokenCodec("another secret").dump(data),
            payload,
            token + ".x",
        ):
            root = ask(session, verb="ListIdentifiers", resumptionToken=bad)
            assert error_code(root) == "badResumptionToken", bad
        # The untouched token still works.
        assert error_code(ask(session, verb="ListIdentifiers", resumptionToken=token)) is None

    def test_token_of_another_verb(self, session: Session, admin: User) -> None:
        many_public(session, admin, 101)
        token = _token(session, "ListIdentifiers")
        assert error_code(ask(session, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
        assert error_code(ask(session, verb="ListSets", resumptionToken=token)) == "badResumptionToken"

    def test_error_text_is_well_formed_xml(self, session: Session) -> None:
        # Control characters and markup in arguments are echoed without breaking the document.
        raw = oai.handle(session, "verb=%01%3Cx%3E&", CONFIG)
        root = envelope(raw)
        assert error_code(root) == "badVerb"
        assert "<x>" in (root.findtext(f"{OAI}error") or "")
