# A benchmark reports by printing its table.
"""Search latency when the results are long texts (textbooks), embedded backend.

    python bench/search_long_texts.py [--books 200] [--chars 300000] [--queries 80]

Builds ``--books`` materials whose bodies are ``--chars`` characters of real Vietnamese sentences
(the corpora of ``search_speed.py``), then times 3-word queries and real questions (facets and
snippets on every query, no result cache). Every search reads the stored documents of its top
results; with book-sized bodies that reading, the snippets and the second stage's text
dominate, which the 1M benchmark's short generated materials do not show.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search_speed import questions, sentences
from search.backends.embedded import EmbeddedBackend
from search.documents import build_document
from search.query import SearchQuery


def _book(sents: list[str], chars: int, rng: random.Random) -> str:
    out: list[str] = []
    n = 0
    while n < chars:
        s = rng.choice(sents)
        out.append(s)
        n += len(s) + 1
    return " ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--books", type=int, default=200)
    parser.add_argument("--chars", type=int, default=300_000)
    parser.add_argument("--queries", type=int, default=80)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    rng = random.Random(3)
    sents, asked = sentences(args.data), questions(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        backend = EmbeddedBackend(Path(tmp) / "index", cache_size=0)
        t0 = time.perf_counter()
        backend.index(
            build_document(
                {
                    "id": f"sach-{i}",
                    "state": "approved",
                    "metadata": {"title": f"Sách giáo khoa {i}", "grades": [1 + i % 12]},
                    "texts": [{"text": _book(sents, args.chars, rng), "pages": []}],
                }
            )
            for i in range(args.books)
        )
        backend.refresh()
        built = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in (Path(tmp) / "index").rglob("*") if f.is_file())
        half = args.queries // 2
        kinds = {
            "3 words": [" ".join(rng.choice(sents).split()[:3]) for _ in range(half)],
            "question": rng.sample(asked, args.queries - half),
        }
        for texts in kinds.values():  # warm: the first searches read the index cold
            backend.search(SearchQuery(texts[0]))
        rows = []
        for kind, texts in kinds.items():
            times = []
            for text in texts:
                t = time.perf_counter()
                backend.search(SearchQuery(text))
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            rows.append((kind, statistics.median(times), times[int(len(times) * 0.9)]))
        backend.close()
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(
        f"{args.books} materials of {args.chars:,} characters, built in {built:.0f} s, index "
        f"{size / 1e6:,.0f} MB; load average {' '.join(load)}\n"
    )
    print("| queries | p50 | p90 |")
    print("|---|---|---|")
    for kind, p50, p90 in rows:
        print(f"| {kind} | {p50:.1f} ms | {p90:.1f} ms |")


if __name__ == "__main__":
    main()
