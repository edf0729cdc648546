"""Video/audio renditions over the real corpus in ../shared/data/03_media, verified by decoding them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import av
import ffmpeg
import pytest
from PIL import Image

from ingest.processors.ffmpeg import ffmpeg_exe, probe, run_ffmpeg, scaled_size
from ingest.processors.media import PROFILES, process_audio, process_media, process_video
from ingest.processors.outputs import DerivativeOut
from ingest.processors.sandbox import ProcessingFailed

VIDEO_QUICK = ["video/sample.mp4", "video/sample_rotate_and_reflect.mp4"]
# Files in the corpus that are not valid audio/video, with the words their reason must contain.
EXPECTED_FAILURES = {
    "video/invalid-bitstream.webm": "cannot be decoded",
    "audio/testMP4_drm.m4a": "DRM",
    "audio/testMP4_truncated.m4a": "truncated",
    "audio/invalid_header": "ends before",
    "audio/play-trimmed.mp3": "not a recognised",
    "audio/testMID.mid": "not a recognised",
}


def _by_kind(results: list[DerivativeOut], kind: str) -> list[DerivativeOut]:
    return [r for r in results if r.kind == kind]


def _verify_rendition(rendition: DerivativeOut, source_duration: float | None, short_side: int) -> None:
    """Decode the whole MP4: H.264, the promised size (short side, even), duration near the source's."""
    with av.open(str(rendition.path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = 0
        for frame in container.decode(stream):
            frames += 1
            width, height = frame.width, frame.height
        assert frames > 0
        assert min(width, height) == short_side
        assert width % 2 == 0
        assert height % 2 == 0
        assert (width, height) == (rendition.width, rendition.height)
        duration = container.duration / 1_000_000
    if source_duration is not None:
        assert abs(duration - source_duration) <= 0.5, (duration, source_duration)
    with open(rendition.path, "rb") as fh:
        head = fh.read(64)
    # +faststart: the index (moov) precedes the media data, so playback starts before download ends.
    assert head.find(b"moov") != -1 or head.find(b"ftyp") == 4
    data = rendition.path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")


def _verify_video_outputs(src: Path, out: Path) -> list[DerivativeOut]:
    info = probe(src)
    progress: list[float] = []
    results = process_video(src, out, info=info, progress_cb=progress.append)
    renditions = [r for r in _by_kind(results, "rendition") if r.media_type == "video/mp4"]
    assert renditions[0].label == "360p"
    _verify_rendition(renditions[0], info.duration, 360)
    if min(info.width or 0, info.height or 0) >= 720:
        assert [r.label for r in renditions] == ["360p", "720p"]
        _verify_rendition(renditions[1], info.duration, 720)
    else:
        assert len(renditions) == 1
    (poster,) = _by_kind(results, "poster")
    with Image.open(poster.path) as im:
        assert im.format == "WEBP"
        assert im.size == (poster.width, poster.height)
    assert [t.label for t in _by_kind(results, "thumbnail")] == ["small", "large"]
    (hls,) = _by_kind(results, "hls")
    master = hls.path.read_text()
    for rendition in renditions:
        variant = hls.path.parent / f"{rendition.label}/index.m3u8"
        assert f"{rendition.label}/index.m3u8" in master
        segments = [ln for ln in variant.read_text().splitlines() if ln.endswith(".ts")]
        assert segments
        assert all((variant.parent / s).stat().st_size > 0 for s in segments)
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    return results


def _verify_speech(results: list[DerivativeOut], source_duration: float | None) -> DerivativeOut:
    """The listen-only rendition: mono Opus in WebM, about 24 kb/s, as long as the video."""
    (speech,) = [r for r in _by_kind(results, "rendition") if r.label == "speech"]
    assert speech.media_type == "audio/webm"
    assert speech.path.name == "speech.webm"
    with av.open(str(speech.path)) as container:
        assert container.format.name.startswith("matroska")
        assert not container.streams.video
        (stream,) = container.streams.audio
        assert stream.codec_context.name == "opus"
        assert stream.codec_context.channels == 1
        decoded = sum(frame.samples for frame in container.decode(stream))
    assert decoded > 0
    if source_duration:
        assert abs((speech.duration or 0) - source_duration) < 0.5
        kbps = speech.path.stat().st_size * 8 / 1000 / source_duration
        assert kbps < 40, kbps  # speech quality, not music: ~24 kb/s plus container overhead
    return speech


class TestVideo:
    def test_video_with_sound_gets_a_listen_only_opus_rendition(self, shared_data: Path, tmp_path: Path):
        src = shared_data / "03_media" / "video" / "testVideoMp4.mp4"
        info = probe(src)
        assert info.has_audio
        results = process_video(src, tmp_path, info=info, hls=False)
        _verify_speech(results, info.duration)

    def test_silent_video_gets_no_listen_only_rendition(self, tmp_path: Path):
        src = tmp_path / "silent.mp4"
        source = ffmpeg.input("testsrc2=size=320x240:rate=15:duration=2", f="lavfi")
        ffmpeg.output(source, str(src), vcodec="libx264", preset="ultrafast").overwrite_output().run(
            cmd=ffmpeg_exe(), quiet=True
        )
        out = tmp_path / "out"
        out.mkdir()
        results = process_video(src, out, hls=False)
        assert [r.label for r in _by_kind(results, "rendition")] == ["360p"]

    @pytest.mark.parametrize("rel", VIDEO_QUICK)
    def test_short_video_gets_playable_renditions_hls_and_poster(
        self, shared_data: Path, tmp_path: Path, rel: str
    ):
        _verify_video_outputs(shared_data / "03_media" / rel, tmp_path)

    def test_rotation_is_applied_to_the_pixels(self, shared_data: Path, tmp_path: Path):
        src = shared_data / "03_media/video/sample_rotate_and_reflect.mp4"
        info = probe(src)
        assert (info.coded_width, info.coded_height) == (1080, 720)
        assert info.rotation in (90, 270)
        assert (info.width, info.height) == (720, 1080)  # what a viewer sees
        assert scaled_size(info.width, info.height, 360) == (360, 540)

    def test_truncated_upload_fails_with_the_time_it_stops(self, tmp_path: Path):
        # Our own fixture: a 10 s clip with the index first (+faststart), cut in half.
        full = tmp_path / "full.mp4"
        source = ffmpeg.input("testsrc2=size=320x240:rate=15:duration=10", f="lavfi")
        ffmpeg.output(
            source, str(full), vcodec="libx264", preset="ultrafast", movflags="+faststart"
        ).overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)
        cut = tmp_path / "cut.mp4"
        cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
        with pytest.raises(ProcessingFailed, match=r"^video stream is truncated at 00:00:0[3-6]$"):
            process_media(cut, tmp_path)

    @pytest.mark.parametrize(("rel", "words"), sorted(EXPECTED_FAILURES.items()))
    def test_invalid_media_fails_with_a_clear_reason(
        self, shared_data: Path, tmp_path: Path, rel: str, words: str
    ):
        with pytest.raises(ProcessingFailed) as info:
            process_media(shared_data / "03_media" / rel, tmp_path)
        assert words in info.value.reason
        assert "Traceback" not in info.value.reason

    def test_a_stalled_ffmpeg_is_killed(self, tmp_path: Path):
        # A FIFO nobody writes to: ffmpeg blocks opening its input and never reports progress.
        fifo = tmp_path / "never.fifo"
        os.mkfifo(fifo)
        started = time.monotonic()
        with pytest.raises(ProcessingFailed, match=r"made no progress for 1\.5 s"):
            run_ffmpeg(
                ffmpeg.input(str(fifo)).output(str(tmp_path / "o.mp4")),
                label="stall test",
                duration=10,
                timeout_s=30,
                memory_mb=1024,
                stall_s=1.5,
            )
        assert time.monotonic() - started < 10

    @pytest.mark.slow
    def test_every_corpus_video_ends_with_outputs_or_reason(self, shared_data: Path, tmp_path: Path):
        media = shared_data / "03_media"
        files = [*sorted((media / "video").iterdir()), media / "minimal_files/webm.webm"]
        made = 0
        failures: dict[str, str] = {}
        for i, src in enumerate(files):
            out = tmp_path / str(i)
            out.mkdir()
            started = time.monotonic()
            rel = str(src.relative_to(media))
            try:
                _verify_video_outputs(src, out)
                made += 1
            except ProcessingFailed as exc:
                failures[rel] = exc.reason
            assert time.monotonic() - started < 60, rel
        assert made >= 19
        expected = {**EXPECTED_FAILURES, "minimal_files/webm.webm": "no decodable pictures"}
        for rel, reason in failures.items():
            assert expected.get(rel, "\0") in reason, (rel, reason)

    @pytest.mark.slow
    def test_360p_bitrate_keeps_a_ten_minute_lecture_under_15_mb(self, tmp_path: Path):
        # Hard content on purpose: moving noise is the worst case for the bitrate cap.
        src = tmp_path / "noisy.mp4"
        video = ffmpeg.input("testsrc2=size=640x360:rate=30:duration=15", f="lavfi").filter(
            "noise", alls=40, allf="t"
        )
        audio = ffmpeg.input("sine=frequency=440:duration=15", f="lavfi")
        ffmpeg.output(
            video, audio, str(src), vcodec="libx264", preset="ultrafast", crf=18
        ).overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)
        results = process_video(src, tmp_path, hls=False)
        r360 = next(r for r in results if r.label == "360p")
        assert r360.duration is not None
        ten_minutes = r360.size / r360.duration * 600
        assert ten_minutes <= 15_000_000, f"{ten_minutes / 1e6:.1f} MB per 10 minutes"
        assert PROFILES[0].maxrate_kbps + PROFILES[0].audio_kbps <= 200


class TestAudio:
    def test_audio_with_cover_art_gets_aac_and_thumbnails(self, shared_data: Path, tmp_path: Path):
        results = process_media(shared_data / "03_media/audio/bear_with_picture.flac", tmp_path)
        (rendition,) = _by_kind(results, "rendition")
        assert rendition.media_type == "audio/mp4"
        with av.open(str(rendition.path)) as container:
            assert not container.streams.video
            assert container.streams.audio[0].codec_context.name == "aac"
            assert abs(container.duration / 1_000_000 - 2.741) < 0.5
        assert [t.label for t in _by_kind(results, "thumbnail")] == ["small", "large"]
        assert not (tmp_path / ".cover.png").exists()

    def test_audio_without_cover_gets_no_thumbnail(self, shared_data: Path, tmp_path: Path):
        results = process_audio(shared_data / "03_media/audio/bear.opus", tmp_path)
        assert [r.kind for r in results] == ["rendition"]

    @pytest.mark.slow
    def test_every_corpus_audio_ends_with_outputs_or_reason(self, shared_data: Path, tmp_path: Path):
        files = sorted((shared_data / "03_media/audio").iterdir())
        failures: dict[str, str] = {}
        made = 0
        for i, src in enumerate(files):
            out = tmp_path / str(i)
            out.mkdir()
            rel = f"audio/{src.name}"
            try:
                results = process_media(src, out)
            except ProcessingFailed as exc:
                failures[rel] = exc.reason
                continue
            made += 1
            rendition = _by_kind(results, "rendition")[0]
            with av.open(str(rendition.path)) as container:
                assert container.streams.audio[0].codec_context.name == "aac"
        assert made >= 24
        for rel, reason in failures.items():
            assert EXPECTED_FAILURES.get(rel, "\0") in reason, (rel, reason)
