"""Video and audio renditions for weak connections: H.264/AAC MP4, an HLS ladder, a poster, AAC audio.

Video (:func:`process_video`):

* a **360p** MP4 for every video (short side 360, so portrait phone videos get the same pixel
  budget), and a **720p** one when the source's short side is at least 720; H.264 Main,
  ``yuv420p``, even sides, rotation applied (ffmpeg's autorotate), ≤ 30 fps, ``+faststart``.
  The 360p bitrate is capped (``maxrate`` 130 kb/s video + 48 kb/s AAC) so a 10-minute lecture
  stays under 15 MB;
* an **HLS ladder** over the same MP4s: each is re-muxed with ``-c copy -f hls`` (no second
  encode; keyframes are forced every 4 s in the encode so segments of all renditions align), and
  ``master.m3u8`` is written here with measured bandwidths;
* a **poster** (WebP): the frame with the most detail among a few seeks into the rendition, so a
  black fade-in or a title card is not what students see; and thumbnails in two sizes from it.

* a **listen-only** rendition ("chỉ nghe") of every video with sound: mono Opus at 24 kb/s in WebM,
  speech quality, ~1.8 MB for a 10-minute lecture (the 360p MP4 is ~10 MB), for families whose
  phone data cannot carry the picture (:func:`speech_rendition`).

Audio (:func:`process_audio`): AAC-LC 64 kb/s in ``.m4a`` with ``+faststart``, plus thumbnails
of the embedded cover art when there is one (otherwise none: the caller makes a placeholder).

Everything runs through the sandbox with wall-clock, stall and memory limits; failures are
:class:`~ingest.processors.sandbox.ProcessingFailed` with reasons such as
"video stream is truncated at 00:01:12".
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from ingest.processors.ffmpeg import (
    MediaInfo,
    format_timestamp,
    probe,
    run_ffmpeg,
    scaled_size,
)
from ingest.processors.images import DEFAULT_WIDTHS, image_thumbnails, save_thumbnails
from ingest.processors.outputs import DerivativeOut
from ingest.processors.sandbox import CommandResult, ProcessingFailed, run_isolated

__all__ = [
    "PROFILES",
    "MediaLimits",
    "VideoProfile",
    "process_audio",
    "process_media",
    "process_video",
    "speech_args",
    "speech_rendition",
    "transcode_args",
]

ProgressCb = Callable[[float], None]

HLS_SEGMENT_S = 4
MAX_FPS = 30
# Listen-only rendition: Opus is built for speech at low rates (SILK mode below ~20-30 kb/s,
# hybrid above); 24 kb/s mono at 24 kHz keeps a teacher's voice clear. WebM is the container
# every current browser plays Opus from (Chromium, Firefox, Safari 15+ on macOS / iOS 17+).
SPEECH_KBPS = 24
SPEECH_RATE = 24_000
SPEECH_LABEL = "speech"


@dataclass(frozen=True)
class VideoProfile:
    """One rung of the rendition ladder.

    ``crf`` sets quality where the picture is easy (slides, a talking head) and ``maxrate`` caps
    the hard parts, so the file size is bounded by ``(maxrate + audio) x duration``.
    ``level`` is fixed so the HLS ``CODECS`` attribute is known without parsing the SPS.
    """

    name: str
    short_side: int
    crf: int
    maxrate_kbps: int
    audio_kbps: int
    level: str
    codecs: str  # RFC 6381 string for H.264 Main at ``level`` (profile_idc 0x4d, constraint 0x40)
    scale_flags: str = "bicubic"
    x264_params: str | None = None


PROFILES: tuple[VideoProfile, ...] = (
    # 10 min x (130 + 48) kb/s = 13.4 MB at the cap, leaving room for container overhead and
    # VBV overshoot (measured on moving noise: a 150 kb/s cap gave 16 MB per 10 minutes).
    # CRF keeps typical lectures (slides, a talking head) well below the cap.
    # The 360p rung is made for every video, so its speed is the ingest's: bilinear scaling and
    # the cheapest motion search (diamond, one subpixel refinement) cut its CPU time by 15-20 %
    # with no loss at this bitrate cap; SSIM against the source went *up* (0.955 -> 0.969 on test
    # patterns, 0.877 -> 0.882 on moving noise): at 130 kb/s a softer downscale spends the bits
    # better than a sharper one. Measured with `bench/ingest_media.py --compare`.
    VideoProfile(
        "360p",
        360,
        crf=27,
        maxrate_kbps=130,
        audio_kbps=48,
        level="3.0",
        codecs="avc1.4d401e",
        scale_flags="bilinear",
        x264_params="me=dia:subme=1",
    ),
    VideoProfile("720p", 720, crf=24, maxrate_kbps=900, audio_kbps=64, level="3.1", codecs="avc1.4d401f"),
)


@dataclass(frozen=True)
class MediaLimits:
    """Limits for one file's media processing.

    The transcode timeout grows with the work: ``base_timeout_s`` plus, per second of media,
    ``timeout_per_s`` plus ``timeout_per_s_per_mp`` per megapixel of source (decoding 8K costs
    far more than encoding 360p). ``stall_s``: ffmpeg is killed when its output time stops
    advancing that long.
    """

    base_timeout_s: float = 120
    timeout_per_s: float = 1.5
    timeout_per_s_per_mp: float = 1.0
    stall_s: float = 90
    memory_mb: int = 3072
    max_duration_s: float = 6 * 3600
    max_megapixels: float = 40  # 8K (7680x4320) is 33 MP
    probe_timeout_s: float = 60

    def transcode_timeout(self, info: MediaInfo) -> float:
        """Wall-clock limit for one ffmpeg run over this input."""
        duration = info.duration or 60.0
        mp = (info.width or 0) * (info.height or 0) / 1_000_000
        return self.base_timeout_s + duration * (self.timeout_per_s + self.timeout_per_s_per_mp * mp)


class _Stage:
    """Maps a step's own 0..1 progress onto its slice of the whole job's 0..1."""

    def __init__(self, cb: ProgressCb | None, start: float, end: float) -> None:
        self.cb, self.start, self.end = cb, start, end

    def __call__(self, fraction: float) -> None:
        if self.cb is not None:
            self.cb(self.start + (self.end - self.start) * fraction)


def process_media(
    path: str | Path,
    out_dir: str | Path,
    *,
    progress_cb: ProgressCb | None = None,
    limits: MediaLimits | None = None,
    hls: bool = True,
) -> list[DerivativeOut]:
    """Probe a file and make the video or audio derivatives it calls for.

    Raises:
        ProcessingFailed: see :func:`process_video` and :func:`process_audio`.
    """
    limits = limits or MediaLimits()
    info = probe(path, timeout_s=limits.probe_timeout_s)
    if info.has_video:
        return process_video(path, out_dir, info=info, progress_cb=progress_cb, limits=limits, hls=hls)
    return process_audio(path, out_dir, info=info, progress_cb=progress_cb, limits=limits)


def _check_video(info: MediaInfo, limits: MediaLimits) -> None:
    if info.truncated_at is not None:
        raise ProcessingFailed(f"video stream is truncated at {format_timestamp(info.truncated_at)}")
    if info.duration is not None and info.duration > limits.max_duration_s:
        raise ProcessingFailed(
            f"video is {format_timestamp(info.duration)} long, more than the "
            f"{format_timestamp(limits.max_duration_s)} limit"
        )
    w, h = info.width or 0, info.height or 0
    if w * h > limits.max_megapixels * 1_000_000:
        raise ProcessingFailed(
            f"video is {w}×{h} pixels, more than the {limits.max_megapixels:g}-megapixel limit"  # noqa: RUF001
        )


def transcode_args(src: str | Path, dst: str | Path, info: MediaInfo, profile: VideoProfile) -> Any:
    """The ``ffmpeg-python`` graph for one MP4 rendition (also used by the benchmark).

    Rotation is left to ffmpeg's autorotate (it applies the display matrix, including mirror
    flips, before our filters), so the target size is computed from the *display* size.
    """
    if not info.width or not info.height or info.video_index is None:
        raise ProcessingFailed("the file has no video stream")
    width, height = scaled_size(info.width, info.height, profile.short_side)
    inp = ffmpeg.input(str(src))
    video = inp[str(info.video_index)]
    if info.fps is None or info.fps > MAX_FPS + 0.5:
        # Also normalises bogus rates (MKV/FLV often report 1000 fps from their time base).
        video = video.filter("fps", MAX_FPS)
    video = (
        video.filter("scale", width, height, flags=profile.scale_flags)
        .filter("setsar", 1)
        .filter("format", "yuv420p")
    )
    streams = [video]
    out: dict[str, Any] = {
        "c:v": "libx264",
        "preset": "veryfast",
        "profile:v": "main",
        "level:v": profile.level,
        "crf": profile.crf,
        "maxrate": f"{profile.maxrate_kbps}k",
        # A one-second buffer: the cap holds over short windows too (a phone's 3G link has no slack).
        "bufsize": f"{profile.maxrate_kbps}k",
        # Same keyframe times in every rendition, so HLS segments align for bitrate switching.
        "force_key_frames": f"expr:gte(t,n_forced*{HLS_SEGMENT_S})",
        "movflags": "+faststart",
        # Phone videos carry GPS positions and device names in their metadata: drop them.
        "map_metadata": -1,
        "map_chapters": -1,
        "max_muxing_queue_size": 1024,
    }
    if profile.x264_params:
        out["x264-params"] = profile.x264_params
    if info.has_audio and info.audio_index is not None:
        streams.append(inp[str(info.audio_index)])
        out.update({"c:a": "aac", "b:a": f"{profile.audio_kbps}k", "ac": min(info.audio_channels or 2, 2)})
        if (info.sample_rate or 0) > 48000:
            out["ar"] = 48000
    return ffmpeg.output(*streams, str(dst), **out)


def _out_time(result: CommandResult) -> float | None:
    """The last ``out_time_us`` ffmpeg reported: the output's duration, without another probe."""
    last = None
    for line in result.stdout.decode("ascii", "replace").splitlines():
        key, _, value = line.partition("=")
        if key == "out_time_us" and value.strip().lstrip("-").isdigit():
            last = int(value) / 1_000_000
    return last if last and last > 0 else None


def process_video(
    path: str | Path,
    out_dir: str | Path,
    *,
    info: MediaInfo | None = None,
    progress_cb: ProgressCb | None = None,
    limits: MediaLimits | None = None,
    hls: bool = True,
    thumb_widths: tuple[int, ...] = DEFAULT_WIDTHS,
) -> list[DerivativeOut]:
    """Make the renditions, HLS ladder, poster and thumbnails of a video.

    Args:
        path: the uploaded video.
        out_dir: existing directory owned by the caller; files are written with fixed names
            (``video-360p.mp4``, ``hls/master.m3u8``, ``poster.webp``...), so a re-run replaces
            them instead of adding more.
        info: a :func:`~ingest.processors.ffmpeg.probe` result, to skip probing again.
        progress_cb: receives the overall fraction done, 0..1.
        limits: time/memory limits.
        hls: also build the HLS ladder.
        thumb_widths: thumbnail widths.

    Returns:
        ``rendition`` (one per rung), ``hls`` (master playlist), ``poster`` and ``thumbnail``
        derivatives.

    Raises:
        ProcessingFailed: not a video, truncated, too long or too large, undecodable, or a limit
            was hit.
    """
    limits = limits or MediaLimits()
    out = Path(out_dir)
    info = info or probe(path, timeout_s=limits.probe_timeout_s)
    if not info.has_video:
        raise ProcessingFailed("the file has no video stream")
    _check_video(info, limits)
    short = min(info.width or 0, info.height or 0)
    profiles = [p for p in PROFILES if p is PROFILES[0] or short >= p.short_side]
    timeout = limits.transcode_timeout(info)

    # Progress slices: encodes dominate; the 720p encode costs about 2.5x the 360p one.
    weights = [1.0 if p.short_side <= 360 else 2.5 for p in profiles]
    encode_share = 0.92
    bounds, acc = [], 0.0
    for w in weights:
        start = acc
        acc += encode_share * w / sum(weights)
        bounds.append((start, acc))

    results: list[DerivativeOut] = []
    renditions: list[tuple[VideoProfile, DerivativeOut]] = []
    for profile, (start, end) in zip(profiles, bounds, strict=True):
        dst = out / f"video-{profile.name}.mp4"
        result = run_ffmpeg(
            transcode_args(path, dst, info, profile),
            label=f"{profile.name} transcode",
            duration=info.duration,
            timeout_s=timeout,
            memory_mb=limits.memory_mb,
            stall_s=limits.stall_s,
            progress_cb=_Stage(progress_cb, start, end),
        )
        out_time = _out_time(result)
        if out_time is None or not dst.is_file() or dst.stat().st_size == 0:
            # ffmpeg exits 0 when every packet failed to decode: an empty MP4 is not a rendition.
            raise ProcessingFailed("the video stream contains no decodable pictures")
        w, h = scaled_size(info.width or 0, info.height or 0, profile.short_side)
        rendition = DerivativeOut(
            kind="rendition",
            path=dst,
            media_type="video/mp4",
            width=w,
            height=h,
            duration=out_time,
            label=profile.name,
        )
        renditions.append((profile, rendition))
        results.append(rendition)

    if hls:
        results.append(_build_hls(out / "hls", renditions, info.has_audio, limits))
    speech = speech_rendition(path, out, info=info, limits=limits)
    if speech is not None:
        results.append(speech)
    _Stage(progress_cb, 0.0, 1.0)(0.96)

    # The poster comes from the best rendition: already upright, 8-bit, small and cheap to seek.
    best = renditions[-1][1]
    rows = run_isolated(
        _poster_child,
        str(best.path),
        str(out),
        thumb_widths,
        timeout_s=60,
        memory_mb=1536,
        label="poster extraction",
    )
    (poster_path, pw, ph), thumbs = rows
    results.append(
        DerivativeOut(kind="poster", path=Path(poster_path), media_type="image/webp", width=pw, height=ph)
    )
    results.extend(
        DerivativeOut(kind="thumbnail", path=Path(p), media_type="image/webp", width=w, height=h, label=label)
        for p, w, h, label in thumbs
    )
    if progress_cb is not None:
        progress_cb(1.0)
    return results


def speech_args(src: str | Path, dst: str | Path, info: MediaInfo) -> Any:
    """The ``ffmpeg-python`` graph of the listen-only rendition (also used by the benchmark)."""
    if info.audio_index is None:
        raise ProcessingFailed("the file has no audio stream")
    inp = ffmpeg.input(str(src))
    return ffmpeg.output(
        inp[str(info.audio_index)],
        str(dst),
        **{
            "c:a": "libopus",
            "b:a": f"{SPEECH_KBPS}k",
            "application": "voip",  # favours intelligibility of speech over music fidelity
            # Constrained VBR: unconstrained, a tonal music bed ran at 34 kb/s (2.4 MB per 10 min).
            "vbr": "constrained",
            "ac": 1,
            "ar": SPEECH_RATE,
            "map_metadata": -1,
            "f": "webm",
        },
    )


def speech_rendition(
    path: str | Path, out_dir: str | Path, *, info: MediaInfo, limits: MediaLimits | None = None
) -> DerivativeOut | None:
    """The mono speech-quality Opus rendition of a video's sound ("chỉ nghe"); None without sound.

    Raises:
        ProcessingFailed: a limit was hit, or the sound does not decode.
    """
    if not info.has_audio or info.audio_index is None:
        return None
    limits = limits or MediaLimits()
    dst = Path(out_dir) / "speech.webm"
    result = run_ffmpeg(
        speech_args(path, dst, info),
        label="listen-only audio",
        duration=info.duration,
        # Decoding the video container for its sound only: tens of times realtime.
        timeout_s=limits.base_timeout_s + (info.duration or 600) * 0.5,
        memory_mb=limits.memory_mb,
        stall_s=limits.stall_s,
    )
    out_time = _out_time(result)
    if out_time is None or not dst.is_file() or dst.stat().st_size == 0:
        raise ProcessingFailed("the sound of the video contains nothing decodable")
    return DerivativeOut(
        kind="rendition", path=dst, media_type="audio/webm", duration=out_time, label=SPEECH_LABEL
    )


def _build_hls(
    hls_dir: Path, renditions: list[tuple[VideoProfile, DerivativeOut]], has_audio: bool, limits: MediaLimits
) -> DerivativeOut:
    """Re-mux each MP4 rendition into HLS (``-c copy``: ~100x faster than encoding again)."""
    if hls_dir.exists():
        shutil.rmtree(hls_dir)  # a re-run must not leave segments of an earlier, longer encode
    hls_dir.mkdir(parents=True)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for profile, rendition in renditions:
        variant = hls_dir / profile.name
        variant.mkdir()
        node = ffmpeg.input(str(rendition.path)).output(
            str(variant / "index.m3u8"),
            c="copy",
            f="hls",
            hls_time=HLS_SEGMENT_S,
            hls_playlist_type="vod",
            hls_segment_filename=str(variant / "seg_%04d.ts"),
        )
        run_ffmpeg(
            node,
            label=f"{profile.name} HLS packaging",
            duration=rendition.duration,
            timeout_s=limits.base_timeout_s + (rendition.duration or 60) * 0.2,
            memory_mb=limits.memory_mb,
            stall_s=limits.stall_s,
        )
        peak, average = _variant_bandwidth(variant / "index.m3u8")
        codecs = profile.codecs + (",mp4a.40.2" if has_audio else "")
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},"
            f'RESOLUTION={rendition.width}x{rendition.height},CODECS="{codecs}"'
        )
        lines.append(f"{profile.name}/index.m3u8")
    master = hls_dir / "master.m3u8"
    master.write_text("\n".join(lines) + "\n", encoding="utf-8")
    top = renditions[-1][1]
    return DerivativeOut(
        kind="hls",
        path=master,
        media_type="application/vnd.apple.mpegurl",
        width=top.width,
        height=top.height,
        duration=top.duration,
        label="hls",
    )


def _variant_bandwidth(playlist: Path) -> tuple[int, int]:
    """Peak and average bits/s of a variant, measured from its segments (HLS spec §4.4.6.2)."""
    peak = 0.0
    total_bytes, total_s = 0, 0.0
    duration: float | None = None
    for line in playlist.read_text(encoding="utf-8").splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#") and duration is not None:
            size = (playlist.parent / line).stat().st_size
            total_bytes += size
            total_s += duration
            if duration > 0:
                peak = max(peak, size * 8 / duration)
            duration = None
    average = total_bytes * 8 / total_s if total_s > 0 else 0.0
    return max(1, round(peak)), max(1, round(average))


def _poster_child(
    rendition: str, out_dir: str, widths: tuple[int, ...]
) -> tuple[tuple[str, int, int], list[tuple[str, int, int, str]]]:
    """Pick the most detailed of a few frames, save it as the poster, and thumbnail it."""
    import av
    from PIL import ImageStat

    best_score, best_image = float("-inf"), None
    with av.open(rendition) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        tb = stream.time_base
        if tb is None:
            raise ProcessingFailed("the rendition has no time base")
        duration = float(stream.duration * tb) if stream.duration else 0.0
        if not duration and container.duration:
            duration = container.duration / 1_000_000
        # Avoid the very start (black fade-in, title card) and the end (credits, fade-out).
        times = [duration * f for f in (0.1, 0.25, 0.4, 0.55, 0.7, 0.85)] if duration > 1 else [0.0]
        for t in times:
            frame = None
            try:
                container.seek(int(t / tb), stream=stream, backward=True)
                for candidate in container.decode(stream):
                    frame = candidate
                    if candidate.time is None or candidate.time >= t:
                        break
            except (av.FFmpegError, EOFError):
                continue
            if frame is None:
                continue
            image = frame.to_image()  # type: ignore[no-untyped-call]
            grey = image.convert("L").resize((64, max(1, 64 * image.height // image.width)))
            stat = ImageStat.Stat(grey)
            mean, spread = stat.mean[0], stat.stddev[0]
            # Detail (contrast) wins; near-black or near-white frames are penalised outright.
            score = spread - (50.0 if mean < 20 or mean > 235 else 0.0)
            if score > best_score:
                best_score, best_image = score, image
    if best_image is None:
        raise ProcessingFailed("no frame could be decoded from the video for a poster")
    out = Path(out_dir)
    poster = out / "poster.webp"
    best_image.save(poster, "WEBP", quality=80, method=4)
    thumbs = save_thumbnails(best_image.convert("RGB"), out, widths, "thumb")
    return (str(poster), best_image.width, best_image.height), thumbs


def process_audio(
    path: str | Path,
    out_dir: str | Path,
    *,
    info: MediaInfo | None = None,
    progress_cb: ProgressCb | None = None,
    limits: MediaLimits | None = None,
    bitrate_kbps: int = 64,
    thumb_widths: tuple[int, ...] = DEFAULT_WIDTHS,
) -> list[DerivativeOut]:
    """Make an AAC ``.m4a`` rendition of an audio file, plus cover-art thumbnails when present.

    Returns:
        A ``rendition`` (``audio/mp4``, label ``aac``) and, when the file embeds a picture,
        ``thumbnail`` derivatives; without one the caller makes a typed placeholder.

    Raises:
        ProcessingFailed: no decodable audio stream, or a limit was hit.
    """
    limits = limits or MediaLimits()
    out = Path(out_dir)
    info = info or probe(path, timeout_s=limits.probe_timeout_s)
    if not info.has_audio or info.audio_index is None:
        raise ProcessingFailed("the file has no audio stream")
    if info.duration is not None and info.duration > limits.max_duration_s:
        raise ProcessingFailed(
            f"audio is {format_timestamp(info.duration)} long, more than the "
            f"{format_timestamp(limits.max_duration_s)} limit"
        )
    dst = out / "audio.m4a"
    args: dict[str, Any] = {
        "c:a": "aac",
        "b:a": f"{bitrate_kbps}k",
        "ac": min(info.audio_channels or 2, 2),
        "movflags": "+faststart",
        "map_metadata": -1,
    }
    if (info.sample_rate or 0) > 48000:
        args["ar"] = 48000
    inp = ffmpeg.input(str(path))
    # Audio is ~50x faster than realtime; the timeout still scales for multi-hour recordings.
    timeout = limits.base_timeout_s + (info.duration or 600) * 0.5
    result = run_ffmpeg(
        ffmpeg.output(inp[str(info.audio_index)], str(dst), **args),
        label="audio transcode",
        duration=info.duration,
        timeout_s=timeout,
        memory_mb=limits.memory_mb,
        stall_s=limits.stall_s,
        progress_cb=_Stage(progress_cb, 0.0, 0.9),
    )
    out_time = _out_time(result)
    if out_time is None or not dst.is_file() or dst.stat().st_size == 0:
        raise ProcessingFailed("the audio stream contains no decodable sound")
    results = [
        DerivativeOut(
            kind="rendition",
            path=dst,
            media_type="audio/mp4",
            duration=out_time,
            label="aac",
        )
    ]
    if info.cover_index is not None:
        results.extend(_cover_thumbnails(path, out, info, limits, thumb_widths))
    if progress_cb is not None:
        progress_cb(1.0)
    return results


def _cover_thumbnails(
    path: str | Path, out: Path, info: MediaInfo, limits: MediaLimits, widths: tuple[int, ...]
) -> list[DerivativeOut]:
    """Thumbnails of embedded cover art; a broken picture is not worth failing the audio for."""
    cover = out / ".cover.png"
    try:
        run_ffmpeg(
            ffmpeg.output(ffmpeg.input(str(path))[str(info.cover_index)], str(cover), **{"frames:v": 1}),
            label="cover art extraction",
            duration=None,
            timeout_s=60,
            memory_mb=limits.memory_mb,
            stall_s=None,
        )
        return image_thumbnails(cover, out, widths=widths, prefix="thumb")
    except ProcessingFailed:
        return []
    finally:
        cover.unlink(missing_ok=True)
