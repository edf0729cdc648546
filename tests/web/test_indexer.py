"""Exactly one live indexer for the embedded index, with real ``hoclieu serve`` processes; a
configuration with no indexer is reported unhealthy, and a second indexer refuses to start."""

from __future__ import annotations

import signal
from typing import Any

import httpx
from click.testing import CliRunner

from repository.workers.service import queue_report
from search.backends.embedded import EmbeddedBackend
from tests.processes import wait_until
from tests.servers import start_server, stop_server

FAST = {"HOCLIEU_JOB_HEARTBEAT_S": "0.5", "HOCLIEU_JOB_STALE_AFTER_S": "2"}


def _indexers(runtime: Any) -> list[str]:
    return queue_report(runtime.db, stale_after_s=2)["queues"]["index"]


class TestOneLiveIndexer:
    def test_two_web_processes_have_one_indexer_and_the_standby_takes_over(self, runtime: Any) -> None:
        _, first = start_server(runtime, env=FAST)
        _, second = start_server(runtime, env=FAST)
        try:
            (name,) = wait_until(lambda: _indexers(runtime), 30, "an indexer")
            pid = int(name.split(":")[1])
            assert pid in (first.pid, second.pid)
            # A while later there is still exactly one: the other stands by.
            wait_until(lambda: len(_indexers(runtime)) == 1 and _indexers(runtime), 3, "one indexer")
            holder, standby = (first, second) if pid == first.pid else (second, first)
            holder.send_signal(signal.SIGKILL)
            holder.wait(10)
            # The kernel released the writer lock with the process: the standby takes it.
            wait_until(
                lambda: [n for n in _indexers(runtime) if int(n.split(":")[1]) == standby.pid],
                30,
                "the standby to become the indexer",
            )
            # The dead one's row stops counting after the stale limit: one indexer again.
            (name,) = wait_until(lambda: len(_indexers(runtime)) == 1 and _indexers(runtime), 10, "one row")
            assert int(name.split(":")[1]) == standby.pid
        finally:
            stop_server(first)
            stop_server(second)

    def test_no_indexer_is_reported_unhealthy_until_one_can_take_the_writer(self, runtime: Any) -> None:
        holder = EmbeddedBackend(runtime.settings.index_dir)
        holder.open_writer()  # another process (a stuck reindex) holds the index writer
        port, proc = start_server(runtime, env=FAST | {"HOCLIEU_IN_PROCESS_WORKER": "true"})
        try:
            url = f"http://127.0.0.1:{port}/api/v1/health/ready"
            # The ingest runner is up; the index queue has nobody.
            body = wait_until(
                lambda: (r := httpx.get(url)).json()["components"]["queues"]["unserved"] == ["index"] and r,
                30,
                "readiness to report the index queue",
            )
            assert body.status_code == 503
            assert "queue 'index'" in body.json()["fix"]
            assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health/live").status_code == 200
            holder.close()  # the writer is free: the server becomes the indexer
            wait_until(lambda: httpx.get(url).status_code == 200, 30, "the server to be ready")
        finally:
            holder.close()
            stop_server(proc)

    def test_a_second_indexer_refuses_to_start_naming_the_fix(self, runtime: Any) -> None:
        from web.cli import main

        holder = EmbeddedBackend(runtime.settings.index_dir)
        holder.open_writer()  # as `hoclieu serve` does
        try:
            result = CliRunner().invoke(main, ["worker", "--burst", "--queue", "index"])
        finally:
            holder.close()
        assert result.exit_code == 1
        assert "already has its indexer" in result.output
        assert "without `--queue index`" in result.output

    def test_the_worker_says_which_queues_it_serves(self, runtime: Any) -> None:
        from web.cli import main

        result = CliRunner().invoke(main, ["worker", "--burst"])
        assert result.exit_code == 0, result.output
        assert "serving queue(s) default via the job table" in result.output
        result = CliRunner().invoke(main, ["worker", "--burst", "--queue", "index"])
        assert result.exit_code == 0, result.output
        assert "serving queue(s) index via the job table" in result.output

    def test_search_check_reports_index_jobs_nobody_applies(self, runtime: Any) -> None:
        from search.tasks import reindex_all
        from tests.search.helpers import populate
        from web.cli import main

        populate(runtime, run=False)  # index jobs queued; no server runs
        reindex_all(runtime)  # the index happens to be right, but the queued jobs wait for nobody
        from search.service import close_backend

        close_backend(runtime.settings)
        result = CliRunner().invoke(main, ["search-check"])
        assert result.exit_code == 1
        out = " ".join(result.output.split())
        assert "no live worker serves queue 'index' (8 jobs waiting)" in out
        assert "queue 'index': run `hoclieu serve`" in out
