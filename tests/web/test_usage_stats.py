"""Usage statistics end to end: real requests through the app, the real recorder and database.

Counted once per real view (per visitor and day), robots and prefetches excluded, no personal
data in the tables, aggregates equal to the raw events, retention, ``sort=popular``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from repository.db import Base
from repository.models import (
    Derivative,
    Job,
    Material,
    MaterialFile,
    StatsDaily,
    StatsDailyFacet,
    StatsSalt,
    StatsSearchDaily,
    UsageEvent,
    UsageKind,
)
from repository.stats.recorder import STATS_TZ, UsageRecorder, stats_day
from repository.stats.service import stats
from repository.stats.store import StatsStore
from repository.uow import UnitOfWork
from search.service import close_backend
from tests.search.helpers import populate, run_index_queue

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
ZALO_IN_APP = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Zalo iOS/430"
ROBOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Zalo-bot/1.0",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0",
    "Wget/1.21.4",
    "",
)
PREFETCHES = (
    {"Sec-Purpose": "prefetch"},
    {"Sec-Purpose": "prefetch;prerender"},
    {"Purpose": "prefetch"},
    {"X-Moz": "prefetch"},
    {"X-Purpose": "preview"},
)


@pytest.fixture
def ids(runtime: Any) -> Iterator[dict[str, str]]:
    yield populate(runtime)
    close_backend(runtime.settings)


def usage(client: TestClient) -> UsageRecorder:
    recorder: UsageRecorder = client.app.state.usage  # type: ignore[attr-defined]
    return recorder


def events(runtime: Any, client: TestClient | None = None) -> list[UsageEvent]:
    if client is not None:
        usage(client).flush()
    with runtime.db.read() as s:
        return list(s.scalars(select(UsageEvent).order_by(UsageEvent.id)))


def aggregate(runtime: Any, *, now: datetime | None = None, retention_days: int = 30) -> dict[str, int]:
    with UnitOfWork(runtime.db) as uow:
        return stats.aggregate(uow.session, retention_days=retention_days, now=now)


def add_video(runtime: Any, material_id: str) -> dict[str, str]:
    """Give a material's file a 360p video rendition and a thumbnail (as ingest would)."""
    out: dict[str, str] = {}
    with UnitOfWork(runtime.db) as uow:
        f = uow.session.scalars(select(MaterialFile).where(MaterialFile.material_id == material_id)).first()
        assert f is not None
        for kind, label, media_type, data in (
            ("rendition", "360p", "video/mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000),
            ("thumbnail", "small", "image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),
        ):
            staged = runtime.blobs.stage()
            staged.write(data)
            blob = staged.commit()
            d = Derivative(
                file_id=f.id,
                kind=kind,
                label=label,
                media_type=media_type,
                size=blob.size,
                sha256=blob.sha256,
                storage_key=blob.key,
            )
            uow.session.add(d)
            uow.session.flush()
            out[kind] = f"/api/v1/materials/{material_id}/files/{f.id}/derivatives/{d.id}"
        out["file"] = f"/api/v1/materials/{material_id}/files/{f.id}"
    return out


class TestCountedOncePerRealView:
    def test_repeat_views_of_one_visitor_count_once_and_another_visitor_counts_again(
        self, runtime: Any, client: TestClient, ids: dict[str, str]
    ) -> None:
        url = f"/m/{ids['phan-so-5']}"
        for _ in range(3):
            assert client.get(url, headers={"User-Agent": CHROME}).status_code == 200
        assert [(e.kind, e.material_id) for e in events(runtime, client)] == [("view", ids["phan-so-5"])]
        assert client.get(url, headers={"User-Agent": FIREFOX}).status_code == 200
        assert client.get(url, headers={"User-Agent": ZALO_IN_APP}).status_code == 200  # a person in Zalo
        assert len(events(runtime, client)) == 3
        aggregate(runtime)
        with runtime.db.read() as s:
            assert s.scalar(select(StatsDaily.count).where(StatsDaily.material_id == ids["phan-so-5"])) == 3

    def test_the_writer_thread_writes_within_the_flush_interval(
        self, runtime: Any, client: TestClient, ids: dict[str, str]
    ) -> None:
        import time

        assert client.get(f"/m/{ids['hinh-tron-5']}", headers={"User-Agent": CHROME}).status_code == 200
        deadline = time.monotonic() + 15  # HOCLIEU_STATS_FLUSH_S is 1 s; a loaded machine is slow
        while not events(runtime) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [e.material_id for e in events(runtime)] == [ids["hinh-tron-5"]]

    @pytest.mark.parametrize("agent", ROBOTS, ids=lambda a: a.split("/")[0][:20] or "no-agent")
    def test_robots_are_not_counted(
        self, runtime: Any, client: TestClient, ids: dict[str, str], agent: str
    ) -> None:
        assert client.get(f"/m/{ids['phan-so-5']}", headers={"User-Agent": agent}).status_code == 200
        assert client.get("/api/v1/search?q=phân số", headers={"User-Agent": agent}).status_code == 200
        assert events(runtime, client) == []

    @pytest.mark.parametrize("headers", PREFETCHES, ids=lambda h: next(iter(h.items()))[0])
    def test_prefetches_are_not_counted(
        self, runtime: Any, client: TestClient, ids: dict[str, str], headers: dict[str, str]
    ) -> None:
        response = client.get(f"/m/{ids['phan-so-5']}", headers={"User-Agent": CHROME, **headers})
        assert response.status_code == 200
        assert events(runtime, client) == []
        # The same browser reading the page for real is counted.
        client.get(f"/m/{ids['phan-so-5']}", headers={"User-Agent": CHROME})
        assert len(events(runtime, client)) == 1

    def test_pages_of_materials_that_are_not_public_are_not_counted(
        self, runtime: Any, client: TestClient, ids: dict[str, str]
    ) -> None:
        from tests.factories import token_for

        token = token_for(client, "quan_tri")["Authorization"].split()[1]  # owns the whole corpus
        client.cookies.set("hl_session", f"x:{token}")
        response = client.get(f"/m/{ids['nhap-toan-5']}", headers={"User-Agent": CHROME})
        assert response.status_code == 200  # the owner reads the draft...
        assert events(runtime, client) == []  # ...which no one counts

    def test_downloads_and_plays_but_not_thumbnails_or_later_ranges(
        self, runtime: Any, client: TestClient, ids: dict[str, str]
    ) -> None:
        urls = add_video(runtime, ids["hinh-tron-5"])
        mid = ids["hinh-tron-5"]
        assert client.get(urls["thumbnail"], headers={"User-Agent": CHROME}).status_code == 200
        # Seeking in a video someone else started: a range not from byte 0.
        got = client.get(urls["rendition"], headers={"User-Agent": FIREFOX, "Range": "bytes=1000-"})
        assert got.status_code == 206
        assert events(runtime, client) == []
        got = client.get(urls["rendition"], headers={"User-Agent": CHROME, "Range": "bytes=0-"})
        assert got.status_code == 206
        assert client.head(urls["file"], headers={"User-Agent": CHROME}).status_code == 200
        assert client.get(urls["file"], headers={"User-Agent": CHROME}).status_code == 200
        assert client.get(urls["file"], headers={"User-Agent": CHROME}).status_code == 200
        assert sorted((e.kind, e.material_id) for e in events(runtime, client)) == [
            ("download", mid),
            ("play", mid),
        ]

    def test_searches_count_the_first_page_once_per_visitor_with_zero_results_marked(
        self, runtime: Any, client: TestClient, ids: dict[str, str]
    ) -> None:
        for agent in (CHROME, FIREFOX):
            assert (
                client.get("/api/v1/search?q=  Phân   SỐ ", headers={"User-Agent": agent}).status_code == 200
            )
            client.get("/api/v1/search?q=phân số", headers={"User-Agent": agent})  # the same text again
        client.get("/api/v1/search?q=phân số&page=2", headers={"User-Agent": ZALO_IN_APP})
        client.get("/api/v1/search?q=", headers={"User-Agent": CHROME})  # browsing, not a search
        portal = client.get("/search?q=quang hợp ở thực vật", headers={"User-Agent": CHROME})
        assert portal.status_code == 200
        rows = sorted((e.query, e.results) for e in events(runtime, client))
        assert rows[0][0] == rows[1][0] == "phân số"
        assert rows[0][1] is not None
        assert rows[0][1] > 0
        assert rows[2] == ("quang hợp ở thực vật", 0)
        assert len(rows) == 3
        aggregate(runtime)
        with runtime.db.read() as s:
            daily = {r.query: (r.searches, r.zero_results) for r in s.scalars(select(StatsSearchDaily))}
        assert daily == {"phân số": (2, 0), "quang hợp ở thực vật": (1, 1)}


class TestNoPersonalData:
    PERSONAL = re.compile(r"ip|addr|agent|user|email|name|phone|owner|session|token|time|_at$", re.I)

    def test_the_raw_table_has_no_column_for_a_person(self, runtime: Any) -> None:
        columns = {c["name"] for c in inspect(runtime.db.engine).get_columns("usage_events")}
        assert columns == {"id", "day", "kind", "material_id", "query", "results", "visitor"}
        for table in (
            "usage_events",
            "stats_daily",
            "stats_daily_facets",
            "stats_search_daily",
            "stats_salts",
        ):
            names = [c["name"] for c in inspect(runtime.db.engine).get_columns(table)]
            assert [n for n in names if self.PERSONAL.search(n)] == [], table

    def test_rows_hold_no_address_agent_or_account_and_yesterdays_salt_is_gone(
        self, runtime: Any, client: TestClient, ids: dict[str, str]
    ) -> None:
        from repository.models import Role
        from tests.factories import create_user, token_for

        with UnitOfWork(runtime.db) as uow:
            student = create_user(uow.session, username="hoc_sinh_an", role=Role.student)
            student_id = student.id
        token = token_for(client, "hoc_sinh_an")["Authorization"].split()[1]
        client.get(f"/m/{ids['phan-so-5']}", headers={"User-Agent": CHROME})
        client.cookies.set("hl_session", f"x:{token}")
        client.get(f"/m/{ids['tap-doc-5']}", headers={"User-Agent": CHROME})
        client.get("/search?q=nguyễn văn an lớp 5a", headers={"User-Agent": CHROME})
        usage(client).flush()
        secrets_ = ("testclient", CHROME, "Chrome", student_id, "hoc_sinh_an", token)
        with runtime.db.read() as s:
            for table in Base.metadata.sorted_tables:
                if not table.name.startswith(("usage_", "stats_")):
                    continue
                for row in s.execute(select(table)).all():
                    text = " ".join(str(v) for v in row)
                    assert not [x for x in secrets_ if x in text], (table.name, row)
            visitors = set(s.scalars(select(UsageEvent.visitor)))
        assert len(visitors) == 2
        assert all(re.fullmatch(r"[0-9a-f]{16}", v) for v in visitors)
        # Tomorrow's aggregation deletes today's salt: the hashes can no longer be recomputed.
        aggregate(runtime, now=datetime.now(UTC) + timedelta(days=2))
        with runtime.db.read() as s:
            assert s.scalar(select(func.count()).select_from(StatsSalt)) == 0

    def test_the_same_visitor_gets_another_hash_the_next_day(self, runtime: Any) -> None:
        recorder = UsageRecorder(runtime.db)
        today = datetime.now(UTC)
        for when in (today, today + timedelta(days=1)):
            recorder.record(UsageKind.view, "a:10.0.0.1|" + CHROME, material_id="m1", now=when)
        recorder.flush()
        with runtime.db.read() as s:
            rows = s.execute(select(UsageEvent.day, UsageEvent.visitor)).all()
        assert len(rows) == 2
        assert rows[0].visitor != rows[1].visitor


class TestAggregation:
    def test_aggregates_equal_the_raw_events(self, runtime: Any, ids: dict[str, str]) -> None:
        import random

        rng = random.Random(13)
        recorder = UsageRecorder(runtime.db)
        materials = [ids[k] for k in ("phan-so-5", "hinh-tron-5", "nhan-4", "tap-doc-5", "ma-tran-10")]
        start = datetime.now(UTC) - timedelta(days=5)
        for _ in range(3000):
            when = start + timedelta(hours=rng.randrange(0, 5 * 24))
            kind = rng.choice(list(UsageKind))
            who = f"a:10.0.{rng.randrange(40)}.1|{CHROME}"
            if kind is UsageKind.search:
                n = rng.choice((0, 3))
                recorder.record(
                    kind, who, query=rng.choice(("phân số", "hình tròn", "xyz")), results=n, now=when
                )
            else:
                recorder.record(kind, who, material_id=rng.choice(materials), now=when)
        recorder.flush()
        aggregate(runtime)
        with runtime.db.read() as s:
            store = StatsStore.from_session(s)
            raw = {(d, k): n for d, k, n in store.raw_counts()}
            agg: dict[tuple[date, str], int] = {}
            for d, k, n in s.execute(
                select(StatsDaily.day, StatsDaily.kind, func.sum(StatsDaily.count)).group_by(
                    StatsDaily.day, StatsDaily.kind
                )
            ):
                agg[(d, k)] = int(n)
            for d, n in s.execute(
                select(StatsSearchDaily.day, func.sum(StatsSearchDaily.searches)).group_by(
                    StatsSearchDaily.day
                )
            ):
                agg[(d, "search")] = int(n)
            zero_raw = s.scalar(select(func.count()).where(UsageEvent.results == 0))
            zero_agg = s.scalar(select(func.sum(StatsSearchDaily.zero_results)))
            # Each material here has exactly one grade and one subject: the facet sums match too.
            facet = {
                f: int(n)
                for f, n in s.execute(
                    select(StatsDailyFacet.facet, func.sum(StatsDailyFacet.count)).group_by(
                        StatsDailyFacet.facet
                    )
                )
            }
            per_material = int(s.scalar(select(func.sum(StatsDaily.count))) or 0)
        assert raw == agg
        assert sum(raw.values()) > 500  # the visitors repeat: far fewer than 3000, many more than a few
        assert zero_raw == zero_agg
        assert facet == {"grade": per_material, "subject": per_material}
        # Again: the same rows (idempotent).
        aggregate(runtime)
        with runtime.db.read() as s:
            assert int(s.scalar(select(func.sum(StatsDaily.count))) or 0) == per_material

    def test_retention_deletes_old_raw_events_and_keeps_their_counts(
        self, runtime: Any, ids: dict[str, str]
    ) -> None:
        recorder = UsageRecorder(runtime.db)
        now = datetime.now(UTC)
        old, recent = now - timedelta(days=40), now - timedelta(days=3)
        for when in (old, recent):
            for visitor in range(4):
                recorder.record(UsageKind.view, f"a:{visitor}", material_id=ids["nhan-4"], now=when)
        recorder.flush()
        aggregate(runtime, retention_days=30)
        with runtime.db.read() as s:
            assert set(s.scalars(select(UsageEvent.day))) == {stats_day(recent)}
            kept = dict(s.execute(select(StatsDaily.day, StatsDaily.count)).all())
        assert kept == {stats_day(old): 4, stats_day(recent): 4}

    def test_a_day_is_not_deleted_before_it_was_counted_after_it_ended(self, runtime: Any) -> None:
        recorder = UsageRecorder(runtime.db)
        now = datetime.now(UTC)
        recorder.record(UsageKind.view, "a:1", material_id="m", now=now - timedelta(days=5))
        recorder.flush()
        # An aggregation that ran during that day (not final) must not let retention delete it.
        aggregate(runtime, now=now - timedelta(days=5), retention_days=1)
        # Later events of that day (buffered at midnight) arrive after that aggregation.
        recorder.record(UsageKind.view, "a:2", material_id="m", now=now - timedelta(days=5))
        recorder.flush()
        aggregate(runtime, now=now, retention_days=1)
        with runtime.db.read() as s:
            assert s.scalar(select(func.count()).select_from(UsageEvent)) == 0
            assert s.scalar(select(StatsDaily.count)) == 2

    def test_popular_sort_follows_the_counted_views_without_touching_the_material(
        self, runtime: Any, client: TestClient, ids: dict[str, str]
    ) -> None:
        with runtime.db.read() as s:
            before = s.get(Material, ids["tap-doc-5"])
            assert before is not None
            updated = before.updated_at
        for n in range(5):
            client.get(f"/m/{ids['tap-doc-5']}", headers={"User-Agent": f"{CHROME} v{n}"})
        client.get(f"/m/{ids['hinh-tron-5']}", headers={"User-Agent": CHROME})
        usage(client).flush()
        # Today's counts are not final yet: nothing is re-indexed while the day goes on.
        assert aggregate(runtime)["reindexed"] == 0
        # When the day is over (its counts final), the views reach the search documents.
        result = aggregate(runtime, now=datetime.now(UTC) + timedelta(days=1, hours=2))
        assert result["reindexed"] == 2
        with runtime.db.read() as s:
            after = s.get(Material, ids["tap-doc-5"])
            assert after is not None
            assert after.view_count == 5
            assert after.updated_at == updated
            assert (
                s.scalar(
                    select(func.count()).select_from(Job).where(Job.queue == "index", Job.status == "queued")
                )
                == 2
            )
        run_index_queue(runtime)
        hits = client.get("/api/v1/search?sort=popular&grade=5").json()["hits"]
        assert [h["id"] for h in hits][:2] == [ids["tap-doc-5"], ids["hinh-tron-5"]]
        # Nothing changed since: a second aggregation re-indexes nothing.
        assert aggregate(runtime, now=datetime.now(UTC) + timedelta(days=1, hours=3))["reindexed"] == 0


def test_the_statistics_day_is_vietnams() -> None:
    # 17:30 UTC on 4 December is 00:30 on 5 December in Hà Nội.
    assert stats_day(datetime(2026, 12, 4, 17, 30, tzinfo=UTC)) == date(2026, 12, 5)
    assert datetime(2026, 12, 5, tzinfo=STATS_TZ).utcoffset() == timedelta(hours=7)


class TestAggregationJob:
    def test_web_processes_queue_one_job_that_a_worker_runs(self, runtime: Any, ids: dict[str, str]) -> None:
        import time

        from repository.jobs import JobRunner
        from repository.stats.recorder import AGGREGATE_JOB

        # Two web processes, each due to ask for an aggregation.
        processes = [UsageRecorder(runtime.db, aggregate_every_s=0.05) for _ in range(2)]
        time.sleep(0.1)
        for n, recorder in enumerate(processes):
            recorder.record(UsageKind.view, f"a:{n}", material_id=ids["nhan-4"])
            recorder.flush()
        with runtime.db.read() as s:
            queued = s.scalars(select(Job).where(Job.func == AGGREGATE_JOB, Job.status == "queued")).all()
        assert len(queued) == 1  # one job, however many processes asked
        JobRunner(runtime.db, name="test-worker", queues=("default",)).run_until_empty()
        with runtime.db.read() as s:
            assert s.scalar(select(StatsDaily.count).where(StatsDaily.material_id == ids["nhan-4"])) == 2
            assert s.scalar(select(Job.status).where(Job.func == AGGREGATE_JOB)) == "done"

    def test_the_command_line_aggregates(self, runtime: Any, ids: dict[str, str]) -> None:
        import json

        from click.testing import CliRunner

        from web.cli import main

        recorder = UsageRecorder(runtime.db)
        recorder.record(UsageKind.download, "a:1", material_id=ids["nhan-4"])
        recorder.flush()
        result = CliRunner().invoke(main, ["stats", "aggregate"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["events"] == 1
        with runtime.db.read() as s:
            assert s.scalar(select(StatsDaily.kind)) == "download"


class TestRecorderUnderPressure:
    def test_a_flood_keeps_a_bounded_buffer_and_says_how_much_it_dropped(self, runtime: Any) -> None:
        recorder = UsageRecorder(runtime.db, max_buffered=100)  # no writer thread: nothing drains it
        for n in range(1000):
            recorder.record(UsageKind.view, f"a:{n}", material_id="m")
        assert len(recorder._buffer) == 100
        assert recorder.dropped == 900
        assert recorder.flush() == 100
        assert recorder.dropped == 0
        # The newest were kept (a flood pushes out the oldest).
        assert len(events(runtime)) == 100

    def test_events_wait_for_the_database_to_come_back(self, runtime: Any, tmp_path: Any) -> None:
        from repository.db import Database

        away = Database(f"sqlite:///{tmp_path / 'missing-folder' / 'hoclieu.db'}")  # cannot be opened
        recorder = UsageRecorder(away)
        recorder.record(UsageKind.view, "a:1", material_id="m")
        with pytest.raises(Exception, match="unable to open database"):
            recorder.flush()
        assert len(recorder._buffer) == 1  # kept for the next round
        recorder.db = runtime.db  # the database is back
        assert recorder.flush() == 1
        assert len(events(runtime)) == 1
        away.dispose()
