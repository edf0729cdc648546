"""ffmpeg and PyAV plumbing: find the binary, probe a file, run a command with progress and limits.

* :func:`ffmpeg_exe` prefers the system ``ffmpeg`` (distribution builds get security updates)
  and falls back to the static binary shipped by ``imageio-ffmpeg``. A candidate is used only
  after it passes a self-check (it starts, and encodes a fraction of a second of H.264 + AAC):
  a system ffmpeg whose shared libraries are missing after a partial upgrade must not fail every
  upload. The choice is remembered until an ffmpeg run fails *and* the binary then fails the
  self-check again, so a broken binary is dropped and a repaired one is picked up again.
* :func:`probe` reads a file with PyAV (there is no ffprobe in ``imageio-ffmpeg``) in a child
  process with time and memory limits: a hostile container must not crash or hang the worker.
  It decodes one video frame (to learn the display rotation and prove the stream decodes) and
  walks the video packets without decoding them to notice a truncated upload.
* :func:`run_ffmpeg` compiles an ``ffmpeg-python`` graph with ``-progress pipe:1`` and runs it
  through :func:`~ingest.processors.sandbox.run_command`, which kills it when ``out_time`` stops
  advancing for ``stall_s`` seconds; a non-zero exit becomes a reason a person can read.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.processors.sandbox import CommandResult, ProcessingFailed, run_command, run_isolated

__all__ = [
    "FfmpegUnavailable",
    "MediaInfo",
    "ffmpeg_error_reason",
    "ffmpeg_exe",
    "forget_ffmpeg",
    "format_timestamp",
    "probe",
    "progress_parser",
    "run_ffmpeg",
]

# Containers whose header states the duration (an index), so a stream that ends well before it
# was cut short. Raw streams (mp3, adts, wav, ogg) only *estimate* duration from the bitrate and
# file size, so a mismatch there proves nothing (e.g. an mp3 with a garbage prefix).
_INDEXED_FORMATS = ("mov", "mp4", "matroska", "webm", "avi", "flv", "asf")
# PyAV opens still images as one-frame "video"; they belong to the image processor.
_IMAGE_BRANDS = frozenset({"heic", "heix", "heim", "heis", "mif1", "msf1", "avif", "avis"})
_TRUNCATION_SLACK_S = 1.0
_TRUNCATION_SLACK_FRACTION = 0.05


log = logging.getLogger(__name__)

# The self-check: start, and encode 0.2 s of H.264 video and AAC audio from lavfi test sources.
# "-version" alone would pass a build without libx264, which then fails every transcode.
_SELF_CHECK_ARGS = (
    "-hide_banner", "-nostdin", "-loglevel", "error",
    "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=0.2",
    "-f", "lavfi", "-i", "sine=frequency=440:duration=0.2",
    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f", "mp4", "-y", "/dev/null",
)  # fmt: skip
_SELF_CHECK_TIMEOUT_S = 30

_chosen_lock = threading.Lock()
_chosen: str | None = None


class FfmpegUnavailable(ProcessingFailed):
    """No working ffmpeg on this server: a fault of the server, not of the file (transient)."""

    def __init__(self, detail: str) -> None:
        super().__init__("the server's video tools are not working", transient=True, detail=detail)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FfmpegUnavailable, (self.detail or "",))


def _candidates() -> list[str]:
    """The system ffmpeg first, then imageio-ffmpeg's binary (deduplicated, in that order)."""
    found: list[str] = []
    system = shutil.which("ffmpeg")
    if system:
        found.append(system)
    try:
        import imageio_ffmpeg

        bundled = str(imageio_ffmpeg.get_ffmpeg_exe())
        if bundled not in found:
            found.append(bundled)
    except (ImportError, RuntimeError):
        pass  # no wheel binary for this platform
    return found


def self_check(exe: str) -> str | None:
    """Run the self-check with ``exe``: None when it works, else what went wrong (for logs)."""
    try:
        proc = subprocess.run(
            [exe, *_SELF_CHECK_ARGS],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_SELF_CHECK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"no answer within {_SELF_CHECK_TIMEOUT_S} s"
    except OSError as exc:
        return f"cannot be started: {exc}"
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.decode("utf-8", "replace").split())[-300:]
        return f"exit status {proc.returncode}: {tail or 'no message'}"
    return None


def ffmpeg_exe() -> str:
    """Path of a working ffmpeg: ``ffmpeg`` on PATH when it passes the self-check, else
    imageio-ffmpeg's. The choice is remembered (see :func:`forget_ffmpeg`).

    Raises:
        FfmpegUnavailable: no candidate passes the self-check (transient: the server's fault).
    """
    global _chosen
    with _chosen_lock:
        if _chosen is not None:
            return _chosen
        problems: list[str] = []
        for exe in _candidates():
            problem = self_check(exe)
            if problem is None:
                if problems:
                    log.warning("ingest.ffmpeg.fallback using=%s rejected=%s", exe, "; ".join(problems))
                _chosen = exe
                return exe
            log.error("ingest.ffmpeg.self_check_failed exe=%s problem=%s", exe, problem)
            problems.append(f"{exe}: {problem}")
        raise FfmpegUnavailable(
            "; ".join(problems) or "ffmpeg is not installed and imageio-ffmpeg has no binary"
        )


def forget_ffmpeg(exe: str | None = None) -> None:
    """Drop the remembered choice (only if it is ``exe``, when given): the next call re-checks."""
    global _chosen
    with _chosen_lock:
        if exe is None or _chosen == exe:
            _chosen = None


def _still_works(exe: str) -> bool:
    """After a failed run: is the binary itself broken? If so, forget it (logged)."""
    problem = self_check(exe)
    if problem is None:
        return True
    log.error("ingest.ffmpeg.broken_after_failure exe=%s problem=%s", exe, problem)
    forget_ffmpeg(exe)
    return False


def format_timestamp(seconds: float) -> str:
    """``72.4`` → ``"00:01:12"`` (for reasons a person reads)."""
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe` learned about an audio or video file.

    ``width``/``height`` are the *display* size: after the rotation in the display matrix and
    the sample aspect ratio, i.e. what a viewer sees. ``coded_width``/``coded_height`` are the
    stored frame size. Stream indexes are absolute (usable as ``-map 0:<index>``).
    """

    format_name: str
    duration: float | None
    has_video: bool
    has_audio: bool
    width: int | None = None
    height: int | None = None
    coded_width: int | None = None
    coded_height: int | None = None
    rotation: int = 0
    video_codec: str | None = None
    audio_codec: str | None = None
    pix_fmt: str | None = None
    fps: float | None = None
    audio_channels: int | None = None
    sample_rate: int | None = None
    video_index: int | None = None
    audio_index: int | None = None
    cover_index: int | None = None
    truncated_at: float | None = None


def probe(path: str | Path, *, timeout_s: float = 60, memory_mb: int = 1536) -> MediaInfo:
    """Probe an audio/video file in a child process.

    Args:
        path: the file.
        timeout_s: wall-clock limit for the child.
        memory_mb: address-space limit for the child (PyAV plus one decoded frame; an 8K frame
            with decoder threads needs a few hundred MB).

    Returns:
        A :class:`MediaInfo`. ``truncated_at`` is set when the video stream ends well before
        the duration its container declares; deciding whether that is fatal is the caller's.

    Raises:
        ProcessingFailed: the file is not audio/video, has no decodable stream, or the probe
            exceeded its limits.
    """
    return run_isolated(
        _probe_child, str(path), timeout_s=timeout_s, memory_mb=memory_mb, label="media probe"
    )


def _seconds(value: Any, time_base: Any) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _probe_child(path: str) -> MediaInfo:
    import av

    try:
        container = av.open(path, metadata_errors="replace")
    except EOFError:
        raise ProcessingFailed("the file is empty or ends before any audio or video data") from None
    except av.error.InvalidDataError:
        raise ProcessingFailed("not a recognised audio or video file") from None
    except av.FFmpegError as exc:
        raise ProcessingFailed("the file cannot be read as audio or video", detail=str(exc)) from None
    with container:
        return _describe(container)


def _describe(container: Any) -> MediaInfo:
    import av

    fmt: str = container.format.name
    brand = str(container.metadata.get("major_brand", "")).strip().lower()
    if fmt.endswith("_pipe") or fmt in ("image2", "ico") or brand in _IMAGE_BRANDS:
        raise ProcessingFailed("this is a still image, not audio or video")

    videos = []
    cover = None
    for s in container.streams.video:
        if s.disposition & av.stream.Disposition.attached_pic:
            cover = cover if cover is not None else s
        elif s.codec_context is not None and s.codec_context.width > 0:
            videos.append(s)
    audios = [s for s in container.streams.audio if s.codec_context is not None]
    if not videos and not audios:
        if len(container.streams.audio) or len(container.streams.video):
            raise ProcessingFailed(
                "the audio or video stream is encrypted (DRM) or uses a codec this server cannot decode"
            )
        raise ProcessingFailed("no audio or video stream found; the file may be truncated")

    duration = container.duration / 1_000_000 if container.duration else None
    audio = audios[0] if audios else None
    info: dict[str, Any] = {
        "format_name": fmt,
        "has_audio": audio is not None,
        "audio_codec": audio.codec_context.name if audio else None,
        "audio_channels": audio.codec_context.channels if audio else None,
        "sample_rate": audio.codec_context.sample_rate if audio else None,
        "audio_index": audio.index if audio else None,
        "cover_index": cover.index if cover is not None and not videos else None,
    }
    if not videos:
        return MediaInfo(duration=duration, has_video=False, **info)

    # Several video tracks (ASF "streams" for different bitrates): take the largest, as ffmpeg does.
    video = max(videos, key=lambda s: s.codec_context.width * s.codec_context.height)
    cc = video.codec_context
    rate = video.average_rate or video.guessed_rate
    fps = float(rate) if rate else None
    rotation, frame_w, frame_h, pix_fmt = _first_frame(container, video)
    if frame_w <= 0 or frame_h <= 0:
        raise ProcessingFailed("the video stream has no picture size")
    sar = video.sample_aspect_ratio or cc.sample_aspect_ratio
    display_w = frame_w * float(sar) if sar and float(sar) > 0 else float(frame_w)
    display_h = float(frame_h)
    if rotation % 180:
        display_w, display_h = display_h, display_w

    truncated_at, stream_end = _scan_video(container, video, fmt)
    if duration is None:
        duration = stream_end
    return MediaInfo(
        duration=duration,
        has_video=True,
        width=max(1, round(display_w)),
        height=max(1, round(display_h)),
        coded_width=frame_w,
        coded_height=frame_h,
        rotation=rotation,
        video_codec=cc.name,
        pix_fmt=pix_fmt,
        fps=fps,
        video_index=video.index,
        truncated_at=truncated_at,
        **info,
    )


def _first_frame(container: Any, video: Any) -> tuple[int, int, int, str | None]:
    """Decode the first frame: proves the stream decodes and reveals the display rotation."""
    import av

    video.codec_context.thread_count = 1  # one frame: threads only cost memory here
    try:
        for frame in container.decode(video):
            # PyAV reports the display matrix as a counter-clockwise angle; -90 means the
            # picture must be turned 90° clockwise to be upright. Either way the sides swap.
            rotation = round(frame.rotation or 0) % 360
            return rotation, frame.width, frame.height, frame.format.name
    except av.FFmpegError as exc:
        raise ProcessingFailed(
            f"the video stream cannot be decoded ({video.codec_context.name}: invalid or corrupt data)",
            detail=str(exc),
        ) from None
    raise ProcessingFailed("the video stream contains no picture; the file may be truncated")


def _scan_video(container: Any, video: Any, fmt: str) -> tuple[float | None, float | None]:
    """Walk the video packets (no decoding) to find where the stream really ends.

    Returns:
        ``(truncated_at, stream_end)``: ``truncated_at`` is the playable length when the stream
        ends well before the declared duration of an indexed container, else None.
    """
    import av

    tb = video.time_base
    start = _seconds(video.start_time, tb) or 0.0
    end: float | None = None
    try:
        container.seek(0)
        for packet in container.demux(video):
            if packet.pts is None:
                continue
            t = _seconds(packet.pts + (packet.duration or 0), tb)
            if t is not None and (end is None or t > end):
                end = t
    except (av.FFmpegError, EOFError):
        pass  # reading stopped at damaged data: what we have so far is what plays
    if end is None:
        return None, None
    played = max(0.0, end - start)
    declared = _seconds(video.duration, tb)
    if declared is None and container.duration:
        declared = container.duration / 1_000_000
    if declared is None or not any(name in fmt for name in _INDEXED_FORMATS):
        return None, played
    slack = max(_TRUNCATION_SLACK_S, _TRUNCATION_SLACK_FRACTION * declared)
    if declared - played > slack:
        return played, played
    return None, played


def progress_parser(duration: float | None) -> Callable[[str], float | None]:
    """A ``run_command`` progress parser for ``ffmpeg -progress pipe:1`` output.

    ``out_time_us`` over the input duration gives the fraction. Without a known duration the
    fraction is ``t / (t + 600)``: meaningless as a percentage, but it still rises while ffmpeg
    works, which is what the stall detector needs.
    """

    def parse(line: str) -> float | None:
        key, _, value = line.strip().partition("=")
        if key == "progress" and value == "end":
            return 1.0
        if key != "out_time_us":
            return None
        try:
            t = int(value) / 1_000_000
        except ValueError:  # "N/A" before the first frame
            return None
        if t <= 0:
            return None
        if duration and duration > 0:
            return min(t / duration, 0.999)
        return t / (t + 600.0)

    return parse


# ffmpeg's messages for common damage, mapped to reasons a teacher can act on. First match wins.
_ERROR_REASONS: tuple[tuple[str, str], ...] = (
    ("moov atom not found", "the MP4/MOV file is incomplete (its index is missing); it was probably cut off"),
    ("Invalid data found when processing input", "the file contains invalid audio/video data"),
    ("does not contain any stream", "the file contains no audio or video stream"),
    ("Output file does not contain any stream", "the file contains no audio or video stream"),
    ("Decoder not found", "this server cannot decode the file's codec"),
    ("Cannot allocate memory", "the file needs more memory than allowed to decode"),
    ("No space left on device", "the server ran out of disk space"),
)


# An absolute path in a tool's message: the server's layout is nobody's business, the file
# name is enough for the owner to know what is meant.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:'\"]+/)+([^\s/:'\"]*)")


def without_paths(message: str) -> str:
    """``"/srv/data/work/x/video-360p.mp4: Invalid argument"`` → ``"video-360p.mp4: Invalid argument"``."""
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "…", message)


def ffmpeg_error_reason(stderr: str) -> str:
    """Turn ffmpeg's stderr into a short reason (a known message, else its last line, without
    server paths)."""
    for needle, reason in _ERROR_REASONS:
        if needle.lower() in stderr.lower():
            return reason
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return without_paths(lines[-1])[:200] if lines else "ffmpeg failed without a message"


def run_ffmpeg(
    stream: Any,
    *,
    label: str,
    duration: float | None,
    timeout_s: float,
    memory_mb: int | None,
    stall_s: float | None = 60,
    progress_cb: Callable[[float], None] | None = None,
    cwd: str | Path | None = None,
) -> CommandResult:
    """Run an ``ffmpeg-python`` output node with progress, a stall detector and limits.

    Args:
        stream: an ``ffmpeg.output(...)`` node (anything with ``.compile``).
        label: what is done, for reasons (``"360p transcode"``).
        duration: input duration in seconds, for the progress fraction.
        timeout_s, memory_mb, stall_s: limits passed to ``run_command``.
        progress_cb: receives fractions in [0, 1].
        cwd: working directory (HLS writes segments relative to it).

    Returns:
        The :class:`CommandResult` of a successful run.

    Raises:
        ProcessingFailed: ffmpeg failed (reason from its stderr), timed out, stalled or crashed.
    """
    exe = ffmpeg_exe()
    for attempt in (1, 2):
        argv = (
            stream.global_args(
                "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-progress", "pipe:1"
            )
            .overwrite_output()
            .compile(cmd=exe)
        )
        result = run_command(
            argv,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            stall_s=stall_s,
            progress_cb=progress_cb,
            progress_parser=progress_parser(duration),
            cwd=cwd,
            label=label,
            max_output_bytes=256 * 1024,
        )
        if result.returncode == 0:
            return result
        stderr = result.stderr_tail(4000)
        # The file or the tool? A binary that now fails the self-check is the server's fault:
        # drop it and run once more with the next working one (or report the server's fault).
        if attempt == 1 and not _still_works(exe):
            exe = ffmpeg_exe()
            continue
        break
    raise ProcessingFailed(f"{label} failed: {ffmpeg_error_reason(stderr)}", detail=stderr)


def scaled_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Even output size with the *shorter* side equal to ``short_side``, aspect kept.

    ``360p`` means the short side is 360 for portrait phone videos too, so a phone held upright
    gets as many pixels as one held sideways. H.264 4:2:0 needs even sides.
    """
    if width >= height:
        h = short_side
        w = max(2, 2 * math.floor(width * short_side / height / 2 + 0.5))
    else:
        w = short_side
        h = max(2, 2 * math.floor(height * short_side / width / 2 + 0.5))
    return w, h
