"""Media ingest benchmark: transcode time per format, pipeline vs raw ffmpeg, x realtime, MB per 10 min.

Usage: ``python bench/ingest_media.py [--data ../shared/data] [--compare [--rounds N]]``.
Prints a table.

For each video it times the 360p rendition made by the pipeline (probe excluded: it is timed
separately) and the *same* ffmpeg command run directly with ``subprocess`` (the ratio is the
pipeline's overhead: sandbox, progress parsing), plus x realtime and the size it projects for a
10-minute lecture. A synthetic 60 s 720p clip with moving noise is added as the worst case.
CPU seconds (user + system of ffmpeg and its threads) are printed beside wall seconds: on a
shared machine the wall clock measures the neighbours, the CPU time measures the work.

``--compare`` runs, on the two synthetic clips, the 360p encode as it was before the speed-up
(bicubic scaling, x264's default motion search for ``veryfast``) and as it is now, alternating
the two ``--rounds`` times in the same run so both see the same load, and prints the medians,
x realtime per CPU second and SSIM against the source scaled to 360p (quality must not drop).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.processors.ffmpeg import ffmpeg_exe, probe, run_ffmpeg
from ingest.processors.media import PROFILES, transcode_args
from ingest.processors.sandbox import ProcessingFailed


def _synthetic(tmp: Path, seconds: int, *, noisy: bool = True) -> Path:
    """A 720p clip: moving noise (the worst case for an encoder) or plain test patterns (closer
    to a lecture: slides, a few moving parts)."""
    src = tmp / f"{'noisy' if noisy else 'patterns'}_720p_{seconds}s.mp4"
    video = ffmpeg.input(f"testsrc2=size=1280x720:rate=30:duration={seconds}", f="lavfi")
    if noisy:
        video = video.filter("noise", alls=30, allf="t")
    audio = ffmpeg.input(f"sine=frequency=440:duration={seconds}", f="lavfi")
    # 4 Mb/s, like a phone or camera recording of a lesson (an ultrafast CRF-20 encode of noise
    # is ~110 Mb/s, and then decoding alone runs at under 5x realtime on 2 cores: that would
    # measure the unrealistic source, not the pipeline).
    node = ffmpeg.output(
        video,
        audio,
        str(src),
        vcodec="libx264",
        preset="veryfast",
        video_bitrate="4M",
        maxrate="4M",
        bufsize="8M",
        audio_bitrate="128k",
    )
    node.overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)
    return src


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ssim(out: Path, src: Path, width: int, height: int) -> str:
    """SSIM of ``out`` against ``src`` scaled to the same size (bicubic), over all frames."""
    graph = f"[1:v]scale={width}:{height}:flags=bicubic[ref];[0:v][ref]ssim"
    argv = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(out), "-i", str(src), "-lavfi", graph]
    result = subprocess.run([*argv, "-f", "null", "-"], capture_output=True, text=True, check=False)
    found = re.search(r"All:([0-9.]+)", result.stderr)
    return found.group(1) if found else "-"


def compare(tmp: Path, seconds: int, rounds: int) -> None:
    """Before/after of the 360p encode in one run, alternating, on both synthetic clips."""
    now = PROFILES[0]
    before = dataclasses.replace(now, scale_flags="bicubic", x264_params=None)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    for noisy in (False, True):
        src = _synthetic(tmp, seconds, noisy=noisy)
        info = probe(src)
        runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
        outs = {}
        for _ in range(rounds):
            for name, profile in (("before", before), ("after", now)):
                out = tmp / f"{src.stem}-{name}.mp4"
                cpu0, t0 = _children_cpu(), time.perf_counter()
                run_ffmpeg(
                    transcode_args(src, out, info, profile),
                    label="360p transcode",
                    duration=info.duration,
                    timeout_s=900,
                    memory_mb=3072,
                )
                runs[name].append((time.perf_counter() - t0, _children_cpu() - cpu0))
                outs[name] = out
        duration = info.duration or float(seconds)
        for name in ("before", "after"):
            wall = statistics.median(w for w, _ in runs[name])
            cpu = statistics.median(c for _, c in runs[name])
            rows.append((src.name, name, wall, duration / wall, cpu, duration / cpu, outs[name]))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(
        "| clip | 360p encode | wall s (median) | x realtime (wall) | CPU s | x realtime per CPU s ", end=""
    )
    print("| SSIM | size |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for clip, name, wall, xrt, cpu, xcpu, out in rows:
        ssim = _ssim(out, tmp / clip, 640, 360)
        print(
            f"| {clip} | {name} | {wall:.2f} | {xrt:.1f} | {cpu:.2f} | {xcpu:.1f} | {ssim} | "
            f"{out.stat().st_size / 1e6:.2f} MB |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--synthetic-seconds", type=int, default=60)
    parser.add_argument("--compare", action="store_true", help="before/after of the 360p speed-up, one run")
    parser.add_argument("--rounds", type=int, default=3, help="alternations for --compare")
    args = parser.parse_args()
    if args.compare:
        with tempfile.TemporaryDirectory() as tmp_name:
            compare(Path(tmp_name), args.synthetic_seconds, args.rounds)
        return
    profile = PROFILES[0]
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        video_dir = args.data / "03_media" / "video"
        sources = sorted(video_dir.iterdir()) if video_dir.is_dir() else []
        sources.append(_synthetic(tmp, args.synthetic_seconds, noisy=False))
        sources.append(_synthetic(tmp, args.synthetic_seconds))
        for src in sources:
            t0 = time.perf_counter()
            try:
                info = probe(src)
            except ProcessingFailed as exc:
                rows.append((src.name, "-", "-", "-", "-", "-", "-", f"failed: {exc.reason}"))
                continue
            probe_s = time.perf_counter() - t0
            if info.truncated_at is not None or not info.has_video:
                rows.append((src.name, f"{probe_s:.2f}", "-", "-", "-", "-", "-", "skipped"))
                continue
            out = tmp / f"{src.stem}-pipe.mp4"
            cpu0 = _children_cpu()
            t0 = time.perf_counter()
            try:
                run_ffmpeg(
                    transcode_args(src, out, info, profile),
                    label="360p transcode",
                    duration=info.duration,
                    timeout_s=600,
                    memory_mb=3072,
                )
            except ProcessingFailed as exc:
                rows.append((src.name, f"{probe_s:.2f}", "-", "-", "-", "-", "-", f"failed: {exc.reason}"))
                continue
            pipe_s = time.perf_counter() - t0
            pipe_cpu = _children_cpu() - cpu0
            raw_out = tmp / f"{src.stem}-raw.mp4"
            argv = (
                transcode_args(src, raw_out, info, profile)
                .global_args("-hide_banner", "-nostdin", "-loglevel", "error")
                .overwrite_output()
                .compile(cmd=ffmpeg_exe())
            )
            t0 = time.perf_counter()
            subprocess.run(argv, check=False, capture_output=True)
            raw_s = time.perf_counter() - t0
            duration = info.duration or 0.0
            per_10min = out.stat().st_size / duration * 600 / 1e6 if duration else 0.0
            rows.append(
                (
                    src.name[:38],
                    f"{probe_s:.2f}",
                    f"{pipe_s:.2f}",
                    f"{raw_s:.2f}",
                    f"{pipe_s / raw_s:.2f}" if raw_s else "-",
                    f"{duration / pipe_s:.1f}" if pipe_s else "-",
                    f"{pipe_cpu:.2f}",
                    f"{per_10min:.1f} MB/10min",
                )
            )
    header = ("file", "probe s", "360p s", "raw ffmpeg s", "ratio", "x realtime", "360p CPU s", "size")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
