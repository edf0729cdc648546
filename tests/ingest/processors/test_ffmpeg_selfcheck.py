"""A broken system ffmpeg is not trusted: self-check, fall back to imageio-ffmpeg, re-check after a failure.

The broken binary is real: an executable named ``ffmpeg`` first on PATH that fails exactly as a
system ffmpeg with a missing shared library does (the dynamic loader's message, exit status 127).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import ffmpeg
import pytest

from ingest.processors import ffmpeg as ff
from ingest.processors.media import process_video
from ingest.processors.sandbox import ProcessingFailed
from tests.broken_tools import BUNDLED_FFMPEG, LOADER_ERROR, broken_ffmpeg, first_on_path, working_ffmpeg

BUNDLED = BUNDLED_FFMPEG
_break = broken_ffmpeg
_working = working_ffmpeg


@pytest.fixture(autouse=True)
def _fresh_choice() -> Iterator[None]:
    ff.forget_ffmpeg()
    yield
    ff.forget_ffmpeg()


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder first on PATH, where the tests put their ``ffmpeg``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    first_on_path(monkeypatch, folder)
    return folder


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """Two seconds of 320x240 video with sound, made by the bundled ffmpeg."""
    out = tmp_path / "clip.mp4"
    video = ffmpeg.input("testsrc=size=320x240:rate=25:duration=2", f="lavfi")
    audio = ffmpeg.input("sine=frequency=440:duration=2", f="lavfi")
    ffmpeg.output(
        video, audio, str(out), vcodec="libx264", acodec="aac", preset="ultrafast"
    ).overwrite_output().run(cmd=BUNDLED, quiet=True)
    return out


class TestSelfCheck:
    def test_a_system_ffmpeg_that_cannot_load_its_libraries_is_skipped_for_the_bundled_one(
        self, bin_dir: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        broken = _break(bin_dir / "ffmpeg")
        with caplog.at_level(logging.WARNING, logger="ingest.processors.ffmpeg"):
            assert ff.ffmpeg_exe() == BUNDLED
        assert ff.self_check(str(broken)) is not None
        assert "error while loading shared libraries" in caplog.text  # the detail goes to the log

    def test_a_working_system_ffmpeg_is_preferred(self, bin_dir: Path) -> None:
        system = _working(bin_dir / "ffmpeg")
        assert ff.ffmpeg_exe() == str(system)

    def test_video_is_transcoded_with_a_broken_ffmpeg_first_on_path(
        self, bin_dir: Path, clip: Path, tmp_path: Path
    ) -> None:
        _break(bin_dir / "ffmpeg")
        out = tmp_path / "out"
        out.mkdir()
        results = process_video(clip, out, hls=False)
        renditions = [r for r in results if r.kind == "rendition" and r.label != "speech"]
        assert [r.label for r in renditions] == ["360p"]
        assert renditions[0].path.stat().st_size > 0

    def test_a_binary_that_breaks_after_being_chosen_is_dropped_on_its_first_failure(
        self, bin_dir: Path, clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        system = _working(bin_dir / "ffmpeg")
        assert ff.ffmpeg_exe() == str(system)  # chosen and remembered
        _break(system)  # e.g. a partial apt upgrade removed one of its libraries
        out = tmp_path / "out"
        out.mkdir()
        with caplog.at_level(logging.ERROR, logger="ingest.processors.ffmpeg"):
            results = process_video(clip, out, hls=False)
        assert any(r.kind == "rendition" for r in results)  # the same job succeeded with the fallback
        assert ff.ffmpeg_exe() == BUNDLED
        assert "broken_after_failure" in caplog.text
        # Repaired: a failure of the fallback re-checks again and the system binary is back.
        _working(system)
        ff.forget_ffmpeg(BUNDLED)
        assert ff.ffmpeg_exe() == str(system)

    def test_a_bad_file_does_not_make_a_working_ffmpeg_forgotten(self, bin_dir: Path, tmp_path: Path) -> None:
        system = _working(bin_dir / "ffmpeg")
        assert ff.ffmpeg_exe() == str(system)
        junk = tmp_path / "junk.mp4"
        junk.write_bytes(b"\x00" * 4096)
        with pytest.raises(ProcessingFailed) as failed:
            ff.run_ffmpeg(
                ffmpeg.input(str(junk)).output(str(tmp_path / "o.mp4")),
                label="360p transcode",
                duration=None,
                timeout_s=60,
                memory_mb=None,
            )
        assert not failed.value.transient
        assert ff.ffmpeg_exe() == str(system)
        assert str(tmp_path) not in failed.value.reason  # no server path in the reason

    def test_no_working_ffmpeg_at_all_is_the_servers_fault_not_the_files(
        self, bin_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _break(bin_dir / "ffmpeg")
        # imageio-ffmpeg honours IMAGEIO_FFMPEG_EXE: point it at a broken binary too.
        monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(_break(bin_dir / "ffmpeg-bundled")))
        with pytest.raises(ff.FfmpegUnavailable) as failed:
            ff.ffmpeg_exe()
        assert failed.value.transient
        assert "/" not in failed.value.reason
        assert "error while loading shared libraries" in (failed.value.detail or "")


class TestReasons:
    def test_paths_are_cut_to_the_file_name(self) -> None:
        reason = ff.ffmpeg_error_reason(f"some noise\n/usr/bin/ffmpeg: {LOADER_ERROR}\n")
        assert reason.startswith("ffmpeg: error while loading shared libraries")
        assert "/usr/bin" not in reason
        assert ff.without_paths("/srv/hoclieu/data/work/ingest-1/media/video-360p.mp4: Invalid argument") == (
            "video-360p.mp4: Invalid argument"
        )
        assert ff.without_paths("ratio 1/2 at 00:01:12") == "ratio 1/2 at 00:01:12"
