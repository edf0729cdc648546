"""The public category of an ingest failure, from the reasons the processors really give."""

from __future__ import annotations

import pytest

from repository.material.failures import Failure, classify, public_reason

# Reasons as ingest/processors word them (some with the values they carry), and their category.
REASONS = [
    ("PDF is password-protected", Failure.protected),
    ("document is DRM-protected", Failure.protected),
    (
        "the audio or video stream is encrypted (DRM) or uses a codec this server cannot decode",
        Failure.protected,
    ),
    ("PDF is truncated or corrupt", Failure.damaged),
    ("video stream is truncated at 00:01:12", Failure.damaged),
    ("the MP4/MOV file is incomplete (its index is missing); it was probably cut off", Failure.damaged),
    ("360p transcode failed: the file contains invalid audio/video data", Failure.damaged),
    ("the video stream cannot be decoded (h264: invalid or corrupt data)", Failure.damaged),
    ("the file is empty or ends before any audio or video data", Failure.damaged),
    ("imsmanifest.xml is not well-formed XML", Failure.damaged),
    ("page 3 of the PDF cannot be rendered (damaged)", Failure.damaged),
    ("video is 07:00:00 long, more than the 06:00:00 limit", Failure.too_large),
    ("image is 20000×20000 pixels, more than the 100-megapixel limit", Failure.too_large),  # noqa: RUF001
    ("zip archive would inflate to 9,000 MB from 1.0 MB (a decompression bomb?)", Failure.too_large),
    ("text extraction took longer than 120 s", Failure.too_large),
    ("360p transcode crashed (SIGKILL); it probably needed more than 3072 MB of memory", Failure.too_large),
    ("not a recognised audio or video file", Failure.unsupported),
    ("7z and RAR archives are not supported; upload a zip", Failure.unsupported),
    ("360p transcode failed: this server cannot decode the file's codec", Failure.unsupported),
    ("package contains a path leaving the package (../../etc/passwd); refused", Failure.unsafe),
    ("package contains a symbolic link (lesson/link); refused", Failure.unsafe),
    ("the server's video tools are not working", Failure.server),
    ("Tika server at http://10.0.0.5:9998 is unavailable", Failure.server),
    ("360p transcode failed: ffmpeg: error while loading shared libraries: libx264.so.164", Failure.server),
    ("the uploaded file is missing from storage", Failure.server),
    ("360p transcode failed: Conversion failed!", Failure.other),
]


class TestClassify:
    @pytest.mark.parametrize(("reason", "expected"), REASONS)
    def test_reason_falls_in_its_category(self, reason: str, expected: Failure) -> None:
        assert classify(reason) is expected

    def test_a_server_fault_is_the_servers_whatever_the_words(self) -> None:
        assert classify("PDF is truncated or corrupt", server=True) is Failure.server

    def test_no_reason_is_other(self) -> None:
        assert classify(None) is Failure.other


class TestPublicReason:
    @pytest.mark.parametrize("failure", list(Failure))
    def test_every_category_has_a_short_text_in_both_languages_without_server_details(
        self, failure: Failure
    ) -> None:
        vi, en = public_reason(failure.value, "vi"), public_reason(failure.value, "en")
        assert vi != en
        for text in (vi, en):
            assert 10 < len(text) < 120
            assert "/" not in text
            assert "ffmpeg" not in text.lower()

    def test_unknown_or_missing_code_reads_as_other(self) -> None:
        assert public_reason("no-such-code", "vi") == public_reason(None, "vi") == "Không xử lý được tệp này."
