"""SRT → WebVTT conversion and the checks on uploaded captions (pure functions)."""

from __future__ import annotations

import pytest

from repository.errors import ValidationFailed
from repository.material.captions import MAX_BYTES, to_webvtt

SRT = (
    "1\r\n00:00:01,000 --> 00:00:03,500\r\nXin chào các em.\r\n\r\n"
    "2\r\n00:00:04,000 --> 00:01:02,250\r\nHôm nay: <i>phân số</i>\r\nthập phân.\r\n"
)


class TestToWebVtt:
    def test_srt_becomes_webvtt(self) -> None:
        assert to_webvtt(SRT.encode()) == (
            "WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nXin chào các em.\n\n"
            "00:00:04.000 --> 00:01:02.250\nHôm nay: <i>phân số</i>\nthập phân.\n"
        )

    def test_webvtt_is_normalised_and_comments_dropped(self) -> None:
        vtt = "WEBVTT - bài 4\n\nNOTE soạn bởi cô Lan\n\n00:01.000 --> 00:02.000 align:start\nMột\n"
        assert to_webvtt(vtt.encode()) == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nMột\n"

    def test_utf16_and_bom_and_nfd_are_read(self) -> None:
        assert "Xin chào" in to_webvtt(SRT.encode("utf-16"))
        assert "Xin chào" in to_webvtt(b"\xef\xbb\xbf" + SRT.encode())
        nfd = to_webvtt("1\n00:00:01,000 --> 00:00:02,000\nToa\u0301n\n".encode())
        assert "Toán" in nfd  # stored NFC

    @pytest.mark.parametrize(
        ("raw", "words"),
        [
            (b"", "no captions"),
            (b"WEBVTT\n\n", "no captions"),
            ("xin chào\n".encode(), "no timing line"),
            (b"1\n00:00:01 --> 00:00:02\nx\n", "cannot read the timing"),
            (b"1\n00:00:05,000 --> 00:00:02,000\nx\n", "ends before it starts"),
            (b"1\n00:00:01,000 --> 00:00:02,000\n\xff\xfe\xfa\n", "UTF-8"),
            (b"\x00\x01\x02 binary", "not binary"),
            (b"1\n00:00:01,000 --> 00:00:02,000\na\x00b\n", "not binary"),
            (b"x" * (MAX_BYTES + 1), "limited to"),
        ],
    )
    def test_bad_input_is_refused_with_a_reason(self, raw: bytes, words: str) -> None:
        with pytest.raises(ValidationFailed, match=words):
            to_webvtt(raw)
