"""What the public may read about a file that failed to process.

A failed file keeps its reason (``MaterialFile.error``, English, written for the uploader:
"360p transcode failed: the MP4/MOV file is incomplete ...") for the owner, curators and admins,
and the technical detail (tool output, paths) goes to the log only. Everybody else gets one of a
few short, fixed explanations, chosen when the file fails and stored as ``info["failure"]``: no
tool message, server path or URL can reach a public page or the public API that way.

    >>> classify("PDF is password-protected")
    'protected'
    >>> public_reason("damaged", "vi")
    'Tệp bị hỏng hoặc không đầy đủ.'
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Failure", "classify", "public_reason"]


class Failure(StrEnum):
    """Why a file cannot be shown, as far as a reader needs to know."""

    damaged = "damaged"
    too_large = "too_large"
    protected = "protected"
    unsupported = "unsupported"
    unsafe = "unsafe"
    server = "server"
    other = "other"


# (Vietnamese, English): short, fixed, free of any detail of the server.
_REASONS: dict[Failure, tuple[str, str]] = {
    Failure.damaged: ("Tệp bị hỏng hoặc không đầy đủ.", "The file is damaged or incomplete."),
    Failure.too_large: (
        "Tệp quá lớn hoặc quá dài để xử lý.",
        "The file is too large or too long to process.",
    ),
    Failure.protected: (
        "Tệp được bảo vệ bằng mật khẩu hoặc DRM.",
        "The file is protected by a password or DRM.",
    ),
    Failure.unsupported: ("Định dạng tệp này chưa được hỗ trợ.", "This file format is not supported."),
    Failure.unsafe: (
        "Tệp chứa thành phần không an toàn nên bị từ chối.",
        "The file contains something unsafe and was refused.",
    ),
    Failure.server: (
        "Máy chủ gặp sự cố khi xử lý tệp này; quản trị viên đã được thông báo.",
        "The server had a problem processing this file; the administrators have been told.",
    ),
    Failure.other: ("Không xử lý được tệp này.", "This file could not be processed."),
}

# Words of the ingest reasons (ingest/processors/*), first match wins. Checked by
# tests/repository/material/test_failures.py against the reasons the processors really give.
_RULES: tuple[tuple[Failure, tuple[str, ...]], ...] = (
    (
        Failure.server,
        (
            "not installed",
            "could not be started",
            "unavailable",
            "missing from storage",
            "video tools are not working",
            "disk space",
            "tika server",
            "internal error",
            "shared librar",  # a tool's loader error: the server's installation, not the file
        ),
    ),
    (Failure.protected, ("password", "drm", "encrypted")),
    (Failure.unsafe, ("refused", "path leaving", "symbolic link", "absolute path", "recursive archive")),
    (
        Failure.too_large,
        ("more than", "longer than", "limit", "decompression bomb", "memory", "too large", "took longer"),
    ),
    (
        Failure.unsupported,
        (
            "not supported",
            "not a recognised",
            "codec",
            "still image, not audio",
            "has no audio stream",
            "has no video stream",
            "no audio or video stream",
        ),
    ),
    (
        Failure.damaged,
        (
            "truncated",
            "corrupt",
            "damaged",
            "invalid",
            "cannot be decoded",
            "no decodable",
            "empty",
            "incomplete",
            "not well-formed",
            "ends before",
            "no pages",
            "no picture",
            "cannot be read",
            "could not be read",
            "has no size",
            "cannot be rendered",
            "impossible size",
        ),
    ),
)


def classify(reason: str | None, *, server: bool = False) -> Failure:
    """The public category of an ingest failure ``reason``.

    Args:
        reason: the reason kept for the owner (``ProcessingFailed.reason``).
        server: the failure was the server's (a transient failure that outlived its retries,
            an unexpected exception), whatever the words say.
    """
    if server:
        return Failure.server
    text = (reason or "").lower()
    for failure, needles in _RULES:
        if any(needle in text for needle in needles):
            return failure
    return Failure.other


def public_reason(code: str | None, lang: str = "en") -> str:
    """The fixed explanation for ``code`` (a :class:`Failure` value) in ``lang`` (``vi``/``en``)."""
    try:
        failure = Failure(code) if code else Failure.other
    except ValueError:
        failure = Failure.other
    vi, en = _REASONS[failure]
    return vi if lang == "vi" else en
