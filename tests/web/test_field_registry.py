"""One registry of vocabulary fields (``repository.fields``) drives every layer.

The proof: a field the code base has never heard of, ``topic``, is added the way a real one
would be (its registry entry, its vocabulary file, its portal message) and, with nothing else
changed, it is validated in metadata, indexed, filtered and counted by search, a documented API
parameter and a portal filter with its label.
"""

from __future__ import annotations

import importlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from repository import fields, metadata, vocabularies
from repository.fields import VocabularyField
from repository.jobs import JobRunner
from repository.models import Material, Role, User
from repository.uow import UnitOfWork
from search.service import close_backend
from tests.factories import token_for, upload
from tests.repository.curation.helpers import MATH_5, person, submit_and_approve
from tests.search.helpers import run_index_queue
from web.api import search as search_api
from web.app import create_app
from web.portal import browse, i18n

TOPICS = {
    "name": "topic",
    "label": {"vi": "Chủ đề", "en": "Topic"},
    "terms": [
        {"code": "so-gd-hue", "label": {"vi": "Sở GD&ĐT Thừa Thiên Huế", "en": "Hue DOET"}},
        {"code": "so-gd-ha-noi", "label": {"vi": "Sở GD&ĐT Hà Nội", "en": "Hanoi DOET"}},
    ],
}


def _clear_caches() -> None:
    vocabularies._cached.cache_clear()
    metadata._schemas.cache_clear()
    metadata._registry.cache_clear()
    metadata._validator.cache_clear()


@pytest.fixture
def topic_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The three things adding a field takes: the vocabulary file, the entry, the message."""
    folder = tmp_path / "vocabularies"
    shutil.copytree(vocabularies.VOCABULARIES_DIR, folder)
    (folder / "topic.json").write_text(json.dumps(TOPICS, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(vocabularies, "VOCABULARIES_DIR", folder)
    entry = VocabularyField(
        "topic",
        key="topic",
        vocabulary="topic",
        facet=True,
        portal=True,
        help="Codes of topics, repeatable",
    )
    monkeypatch.setattr(fields, "FIELDS", (*fields.FIELDS, entry))
    monkeypatch.setitem(i18n.MESSAGES, "facet.topic", ("Chủ đề", "Topic"))
    _reload()  # what a restart does: the routes read the registry when they are declared
    yield
    monkeypatch.undo()
    _reload()


def _reload() -> None:
    _clear_caches()
    importlib.reload(search_api)
    importlib.reload(browse)


def _publish(runtime: Any, client: TestClient, title: str, topic: str) -> str:
    r = upload(
        client,
        token_for(client, "co_lan"),
        [(f"{title}.txt", f"{title}: bài học về phân số".encode(), "text/plain")],
        metadata={"title": title, **MATH_5, "license": "CC-BY-4.0", "topic": topic},
    )
    assert r.status_code == 201, r.text
    JobRunner(runtime.db, name="test-ingest", queues=("default",)).run_until_empty()
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        teacher = s.scalars(select(User).where(User.username == "co_lan")).one()
        curator = s.scalars(select(User).where(User.username == "thay_toan")).one()
        submit_and_approve(s, runtime.settings, teacher, curator, s.get(Material, r.json()["id"]))
    run_index_queue(runtime)
    material_id: str = r.json()["id"]
    return material_id


@pytest.mark.usefixtures("topic_field")
def test_a_field_added_to_the_registry_reaches_every_layer(runtime: Any) -> None:
    with UnitOfWork(runtime.db) as uow:
        person(uow.session, "co_lan", Role.teacher)
        person(uow.session, "thay_toan", Role.curator, MATH_5)
    try:
        app = create_app(runtime.settings, runtime=runtime, run_worker=False)
        with TestClient(app, base_url="https://testserver") as client:
            hue = _publish(runtime, client, "Phân số Huế", "so-gd-hue")
            hanoi = _publish(runtime, client, "Phân số Hà Nội", "so-gd-ha-noi")

            # Metadata: the document keeps the code; a code outside the vocabulary is refused.
            assert client.get(f"/api/v1/materials/{hue}").json()["metadata"]["topic"] == "so-gd-hue"
            bad = upload(
                client,
                token_for(client, "co_lan"),
                [("x.txt", b"x", "text/plain")],
                metadata={"title": "X", "topic": "bo-gd"},
            )
            assert bad.status_code == 422
            assert "topic" in bad.text

            # Search: filter, facet counts with labels, an unknown code refused.
            found = client.get("/api/v1/search", params={"q": "phân số", "topic": "so-gd-hue"}).json()
            assert [h["id"] for h in found["hits"]] == [hue]
            every = client.get("/api/v1/search", params={"q": "phân số"}).json()
            assert {h["id"] for h in every["hits"]} == {hue, hanoi}
            counts = {f["value"]: (f["label"], f["count"]) for f in every["facets"]["topic"]}
            assert counts == {
                "so-gd-hue": ("Sở GD&ĐT Thừa Thiên Huế", 1),
                "so-gd-ha-noi": ("Sở GD&ĐT Hà Nội", 1),
            }
            refused = client.get("/api/v1/search", params={"topic": "bo-gd"})
            assert refused.status_code == 400, refused.text

            # API documentation: the parameter is there with its description.
            params = client.get("/api/openapi.json").json()["paths"]["/api/v1/search"]["get"]["parameters"]
            documented = {p["name"]: p.get("description") for p in params}
            assert documented["topic"] == "Codes of topics, repeatable"

            # Portal: the filter box with its heading, the value's label, the filter applied.
            page = client.get(
                "/search",
                params={"q": "phân số", "topic": "so-gd-ha-noi"},
                headers={"Accept": "text/html"},
            )
            assert page.status_code == 200
            assert "Chủ đề" in page.text
            assert 'name="topic" value="so-gd-ha-noi"' in page.text
            assert "Phân số Hà Nội" in page.text
            assert "Phân số Huế" not in page.text.split("</form>", 1)[1]
    finally:
        close_backend(runtime.settings)


def test_every_registered_field_has_its_vocabulary_schema_and_messages() -> None:
    schema = metadata.load_schema()
    names = vocabularies.vocabulary_names()
    for f in fields.FIELDS:
        if f.vocabulary is None:  # codes of database records (organisations), not metadata
            continue
        assert f.vocabulary in names, f.name
        assert f.key in schema["properties"], f.name
        if f.facet and f.portal:
            assert f"facet.{f.name}" in i18n.MESSAGES, f.name
    assert len({f.name for f in fields.FIELDS}) == len(fields.FIELDS)
