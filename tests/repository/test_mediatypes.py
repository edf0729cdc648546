"""The repository's media-type table: download extensions, placeholder labels, names → types."""

from __future__ import annotations

import pytest

from repository import mediatypes
from repository.mediatypes import MediaType

OXML = "application/vnd.openxmlformats-officedocument."


@pytest.mark.parametrize(
    ("media_type", "label"),
    [
        ("application/pdf", "PDF"),
        ("text/plain", "Văn bản"),
        ("text/rtf", "Văn bản"),
        ("audio/mpeg", "Âm thanh"),
        ("application/zip", "Gói nén"),
        ("application/epub+zip", "EPUB"),
        ("application/vnd.scorm+zip", "Bài giảng"),
        ("application/vnd.html5-package+zip", "Bài giảng"),
        ("application/vnd.ms-powerpoint", "Trình chiếu"),
        ("application/vnd.ms-powerpoint.presentation.macroenabled.12", "Trình chiếu"),
        (OXML + "presentationml.slideshow", "Trình chiếu"),
        (OXML + "wordprocessingml.document", "Văn bản"),
        ("application/msword", "Văn bản"),
        ("application/vnd.ms-excel.sheet.macroenabled.12", "Bảng tính"),
        (OXML + "spreadsheetml.sheet", "Bảng tính"),
        ("application/rtf", "Tệp"),
        ("video/mp4", "Tệp"),
        ("application/zipper", "Tệp"),  # a family is a whole top-level type or a dotted stem
    ],
)
def test_placeholder_labels(media_type: str, label: str) -> None:
    assert mediatypes.label_for(media_type) == label


@pytest.mark.parametrize(
    ("media_type", "ext"),
    [
        ("image/webp", ".webp"),
        ("text/plain", ".txt"),
        ("video/mp4", ".mp4"),
        ("audio/mp4", ".m4a"),
        ("application/vnd.apple.mpegurl", ".m3u8"),
        ("application/pdf", ".pdf"),  # the platform's table for the rest
        ("application/x-unknown-to-everyone", None),
    ],
)
def test_download_extensions(media_type: str, ext: str | None) -> None:
    assert mediatypes.extension_for(media_type) == ext


def test_names_guess_types_the_platform_may_not_know() -> None:
    assert mediatypes.guess_from_name("Bài 1.DOCX") == OXML + "wordprocessingml.document"
    assert mediatypes.guess_from_name("nghe.m4a") == "audio/mp4"
    assert mediatypes.guess_from_name("x.pdf") == "application/pdf"


def test_a_registered_row_is_read_everywhere_until_removed() -> None:
    mediatypes.register(MediaType("application/x-hoclieu-row", (".hlr", ".hlr2"), label="Hàng"))
    try:
        assert mediatypes.extension_for("application/x-hoclieu-row") == ".hlr"
        assert mediatypes.guess_from_name("a.hlr2") == "application/x-hoclieu-row"
        assert mediatypes.label_for("application/x-hoclieu-row") == "Hàng"
    finally:
        mediatypes.unregister("application/x-hoclieu-row")
    assert mediatypes.lookup("application/x-hoclieu-row") is None
    assert mediatypes.guess_from_name("a.hlr2") is None


def test_one_extension_names_one_type() -> None:
    with pytest.raises(ValueError, match="already names"):
        mediatypes.register(MediaType("application/x-other", (".docx",)))
    assert mediatypes.lookup("application/x-other") is None
