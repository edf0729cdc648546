# A benchmark reports by printing its table.
"""CPU cost per search of each ranking/counting step, as ratios measured in one run.

    python bench/search_speed.py --docs 30000 --one-build --keep DIR   # build an index once
    python bench/search_cost.py --keep DIR [--docs 30000] [--queries 300]

On a shared machine wall times follow the load; the CPU time a search spends in its own thread
(``time.thread_time``) hardly does. This runs the query mix of ``search_speed.py`` (facets and
snippets on every query, no result cache) against the kept index with the search steps switched
on and off in turn, interleaved query by query so every variant sees the same load, each variant
running a query first as often as the others (a first run reads cold postings):

* ``all``: what ships (second ranking stage on the top 50, facets of broad queries on their top
  1 000 candidates);
* ``no second stage``: ``search.rerank`` off;
* ``exact facets``: every facet counted over every match;
* ``neither``: the first stage with exact facets (the previous round's work per query);
* ``sample every broad query``: facets counted on the top candidates whenever a query has more
  than ``FACET_SAMPLE`` matches, whatever ``FACET_BROAD`` says;
* ``ungated``: every query word makes a candidate (``embedded.COMMON_SHARE`` = 0; what ships
  scores common words only on materials that hold another of the query's words or pairs);
* ``nested``: searches of words only run as the nested exact query (``embedded.FLAT_TERMS`` off;
  what ships runs them as flat term queries: a union for the matches, a chain for a gated
  search's candidates, the same scores);
* ``one spelling``: query words looked up only as typed (``search.query.I_Y_SPELLINGS`` off;
  what ships also looks a word up in its other i/y spelling, "lý" / "lí").

``--variants`` runs only some of them (at 1M each variant costs minutes). The table also gives
how many searches of each variant were cut to the candidates (``total_approximate``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search_speed import KINDS, lessons, query_mix, questions, sentences
from search import query as search_query
from search import rerank
from search.backends import embedded
from search.backends.embedded import EmbeddedBackend

VARIANTS = (
    "all",
    "no second stage",
    "exact facets",
    "neither",
    "sample every broad query",
    "ungated",
    "nested",
    "one spelling",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, required=True, help="the --keep folder of search_speed.py")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    args = parser.parse_args()
    variants = tuple(args.variants)
    # Every step in the searching thread, whose CPU time is what is measured (what ships runs
    # the facet counts and a gated search's chain building on search threads beside it).
    embedded.SEARCH_THREADS = 0
    backend = EmbeddedBackend(args.keep / "index", cache_size=0)
    n = backend.count()
    mix = query_mix(lessons(args.data), sentences(args.data), questions(args.data), args.queries, 2)
    applies, sample, broad = rerank.applies, embedded.FACET_SAMPLE, embedded.FACET_BROAD
    flat, share = embedded.FLAT_TERMS, embedded.COMMON_SHARE
    cpu: dict[str, dict[str, list[float]]] = {v: {k: [] for k in KINDS} for v in variants}
    approximate = 0
    cut = dict.fromkeys(variants, 0)
    for i, (kind, q) in enumerate(mix):
        # Each query runs first in another variant in turn: the first run of a query reads its
        # postings cold, the next ones find them cached.
        for variant in variants[i % len(variants) :] + variants[: i % len(variants)]:
            rerank.applies = applies if variant not in ("no second stage", "neither") else (lambda *a: False)
            embedded.FACET_SAMPLE = 0 if variant in ("exact facets", "neither") else sample
            embedded.FACET_BROAD = 0 if variant == "sample every broad query" else broad
            embedded.FLAT_TERMS = flat and variant != "nested"
            embedded.COMMON_SHARE = 0.0 if variant == "ungated" else share
            search_query.I_Y_SPELLINGS = variant != "one spelling"
            t0 = time.thread_time()
            result = backend.search(q)
            cpu[variant][kind].append((time.thread_time() - t0) * 1000)
            approximate += variant == "sample every broad query" and result.facets_approximate
            cut[variant] += result.total_approximate
    rerank.applies = applies
    embedded.FACET_SAMPLE, embedded.FACET_BROAD, embedded.FLAT_TERMS = sample, broad, flat
    embedded.COMMON_SHARE = share
    search_query.I_Y_SPELLINGS = True
    backend.close()
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(
        f"{n:,} materials, {len(mix)} queries, each run in every variant in turn; "
        f"{approximate} of them with more than FACET_SAMPLE matches; load average {' '.join(load)}\n"
    )
    print("| CPU ms per search, median (mean) | " + " | ".join(variants) + " |")
    print("|---|" + "---|" * len(variants))
    for kind in (*KINDS, "all kinds"):
        cells = []
        for v in variants:
            values = [x for k in KINDS for x in cpu[v][k]] if kind == "all kinds" else cpu[v][kind]
            cells.append(f"{statistics.median(values):.1f} ({statistics.fmean(values):.1f})")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print("| searches cut to the candidates | " + " | ".join(str(cut[v]) for v in variants) + " |")


if __name__ == "__main__":
    main()
