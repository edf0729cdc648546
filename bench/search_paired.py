# A benchmark reports by printing its table.
"""Search latency of two checkouts of the code, paired query by query on one kept index.

    git worktree add ../before <rev>            # the code to compare against
    python bench/search_speed.py --docs 1000000 --one-build --keep DIR   # build an index once
    python bench/search_paired.py --keep DIR --before ../before [--after .] [--queries 490]
    python bench/search_paired.py --keep DIR --before . --before-env HOCLIEU_SEMANTIC=false

A shared machine's speed drifts (here by up to 45 % within minutes), so a run of one version
after a run of the other measures the drift as much as the change. This starts one process per
checkout, each with its own backend on the same index (the index's schema must be one both
read), and has them run each query of ``search_speed.py``'s mix in turn, alternating which goes
first: both see the same machine, query by query. Facets and snippets on every query, no result
cache; the first 50 queries warm both and are not counted. Prints wall time (what a caller waits)
and CPU time (the process's, every thread) per query kind.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

WARM = 50


def serve(root: Path, keep: Path, data: Path, n: int) -> None:
    """One side: read query numbers from stdin, answer [kind, wall ms, cpu ms] per line."""
    sys.path.insert(0, str(root))
    from bench.search_speed import lessons, query_mix, questions, sentences
    from search.backends import embedded

    if not Path(embedded.__file__).resolve().is_relative_to(root.resolve()):
        raise SystemExit(f"{root}: imported {embedded.__file__} instead")
    backend = embedded.EmbeddedBackend(keep / "index", cache_size=0)
    mix = query_mix(lessons(data), sentences(data), questions(data), n, 2)
    print("ready", flush=True)
    for line in sys.stdin:
        kind, q = mix[int(line)]
        cpu, wall = time.process_time(), time.perf_counter()
        backend.search(q)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(json.dumps([kind, wall * 1000, cpu * 1000]), flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, required=True, help="the --keep folder of search_speed.py")
    parser.add_argument("--before", type=Path, required=True, help="checkout of the code to compare against")
    parser.add_argument("--after", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--queries", type=int, default=490)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument(
        "--before-env",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="environment of the before side only (HOCLIEU_SEMANTIC=false: the code without its third stage)",
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = args.queries + WARM
    if args.serve:
        serve(args.serve, args.keep, args.data, n)
        return
    sides = {"before": args.before, "after": args.after}
    procs = {
        side: subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--keep",
                str(args.keep),
                "--before",
                str(args.before),
                "--data",
                str(args.data),
                "--queries",
                str(args.queries),
                "--serve",
                str(root),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                **(dict(v.split("=", 1) for v in args.before_env) if side == "before" else {}),
            },
        )
        for side, root in sides.items()
    }
    for side, proc in procs.items():
        assert proc.stdin
        assert proc.stdout
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"the {side} side did not start")
    timings: dict[str, dict[str, list[tuple[float, float]]]] = {s: defaultdict(list) for s in sides}
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    for i in range(n):
        for side in list(sides) if i % 2 else list(sides)[::-1]:
            proc = procs[side]
            assert proc.stdin
            assert proc.stdout
            proc.stdin.write(f"{i}\n")
            proc.stdin.flush()
            kind, wall, cpu = json.loads(proc.stdout.readline())
            if i >= WARM:
                timings[side][kind].append((wall, cpu))
    for proc in procs.values():
        assert proc.stdin
        proc.stdin.close()
        proc.wait()
    after_load = Path("/proc/loadavg").read_text().split()[:3] if load else []
    loads = f"load average at the start {' '.join(load)}, at the end {' '.join(after_load)}"
    print(f"\n{args.queries} queries, paired; {loads}\n")
    print("| query kind | before p50 / p95 / p99 | after p50 / p95 / p99 | CPU mean before → after |")
    print("|---|---|---|---|")
    kinds = list(timings["before"])
    for kind in ["all kinds", *kinds]:
        cells = [kind]
        cpu = []
        for side in sides:
            rows = (
                [t for k in kinds for t in timings[side][k]] if kind == "all kinds" else timings[side][kind]
            )
            walls = [w for w, _c in rows]
            cells.append(
                f"{statistics.median(walls):.1f} / {pct(walls, 0.95):.1f} / {pct(walls, 0.99):.1f} ms"
            )
            cpu.append(statistics.mean(c for _w, c in rows))
        cells.append(f"{cpu[0]:.1f} → {cpu[1]:.1f} ms")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
