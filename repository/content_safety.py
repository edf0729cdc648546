"""How uploaded bytes may be delivered to a browser, decided from the bytes, never from the name.

Teachers upload files; curators and admins open them while signed in. A file whose bytes a browser
would run as a document (HTML, XHTML, SVG, XML with a stylesheet, a SCORM/HTML5 package, anything
we cannot positively identify) must never render on the portal's origin, or its script acts with
the viewer's session. So every delivery is decided by :func:`delivery_for` from the leading bytes:

* inline only when the bytes positively are a passive format the browser renders without script:
  PDF, raster images (PNG, JPEG, GIF, WebP, BMP, ICO, AVIF), audio and video containers, HLS
  playlists and segments, and UTF-8 text that does not look like markup;
* everything else is an attachment with ``Content-Security-Policy: sandbox; default-src 'none'``.

The sniffing is deliberately a whitelist of signatures (in the spirit of the WHATWG MIME Sniffing
standard's "safe" types), so an unknown format errs on the side of a download.

Packages and HTML lessons that must *play* are served from the separate content origin (see
``web/content.py``); :func:`sign_content` / :func:`verify_content` make the short-lived URLs that
let a reviewer open a submission there without any cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

HEAD_BYTES = 1024
ATTACHMENT_CSP = "sandbox; default-src 'none'"
# Inline passive media still get a sandbox: an image or a video document needs no script. PDF is
# the exception: Chromium's viewer refuses to load in a sandboxed document or under
# ``object-src 'none'`` (it is a plugin), so a PDF only may not be framed by other sites.
PDF_CSP = "frame-ancestors 'self'"
INLINE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
OCTET_STREAM = "application/octet-stream"

# (offset, signature, media type) for passive formats; checked in order.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"\x00\x00\x01\x00", "image/x-icon"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"#EXTM3U", "application/vnd.apple.mpegurl"),
    (0, b"WEBVTT", "text/vtt"),
)
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
# ISO base media (MP4, M4A, MOV, AVIF, HEIC, 3GP): "ftyp" at offset 4 and a brand.
_FTYP_AUDIO = {b"M4A ", b"M4B ", b"F4A "}
_FTYP_IMAGE = {b"avif": "image/avif", b"avis": "image/avif", b"heic": "image/heic", b"mif1": "image/heif"}
# What turns text into a document: the patterns of WHATWG "rules for identifying an unknown
# MIME type" (HTML tags, comments, XML/PI), plus SVG and XSL. Any of them anywhere in the head
# makes the text an attachment, not only at its start (a browser that ignores nosniff looks there).
_MARKUP = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|iframe|frame|object|embed|svg|math|xsl|meta|link|style|"
    rb"title|base|form|img|a\s|a>|h1|div|table|font|br|p\s|p>|b\s|b>|\?xml|!--|[a-z][a-z0-9]*:)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Delivery:
    """How to send one stored file.

    Attributes:
        inline: the browser may render it (``Content-Disposition: inline``).
        media_type: the ``Content-Type`` to send (the sniffed one for inline delivery).
        csp: the ``Content-Security-Policy`` of the response.
    """

    inline: bool
    media_type: str
    csp: str

    @property
    def disposition(self) -> str:
        return "inline" if self.inline else "attachment"


def sniff_passive(head: bytes) -> str | None:
    """The passive media type the bytes certainly are, or ``None`` (possibly active, unknown)."""
    for offset, signature, media_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return media_type
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_IMAGE:
            return _FTYP_IMAGE[brand]
        return "audio/mp4" if brand in _FTYP_AUDIO else "video/mp4"
    if _mpeg_audio_frame(head):
        return "audio/mpeg"  # an MPEG audio frame header without ID3 tag
    if len(head) >= 189 and head[0] == 0x47 and head[188] == 0x47:
        return "video/mp2t"  # HLS segment: 188-byte transport packets
    if _is_plain_text(head):
        return "text/plain; charset=utf-8"
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    """A valid MPEG audio frame header: sync, no reserved version/layer/bitrate/sample rate.

    (``FF FE``, the UTF-16 byte order mark, passes a bare sync check: it must not.)
    """
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0x3, (head[1] >> 1) & 0x3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0x3
    return version != 1 and layer != 0 and bitrate not in (0, 0xF) and rate != 3


def _is_plain_text(head: bytes) -> bool:
    if not head:
        return True  # empty: nothing to run
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    for cut in (0, 1, 2, 3):  # the sample may end inside a multi-byte character
        try:
            text = body[: len(body) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    if any(ch in text for ch in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x1b\x7f"):
        return False
    return _MARKUP.search(head) is None


def delivery_for(head: bytes) -> Delivery:
    """Decide how to send a stored file from its first :data:`HEAD_BYTES` bytes.

    Whatever its name or declared type, a file is rendered inline only when its bytes are a
    passive format; anything that can carry script or is unknown is an attachment, typed
    ``application/octet-stream`` and sandboxed.
    """
    sniffed = sniff_passive(head[:HEAD_BYTES])
    if sniffed is None:
        return Delivery(inline=False, media_type=OCTET_STREAM, csp=ATTACHMENT_CSP)
    if sniffed == "application/pdf":
        return Delivery(inline=True, media_type=sniffed, csp=PDF_CSP)
    return Delivery(inline=True, media_type=sniffed, csp=INLINE_CSP)


def is_markup(head: bytes) -> bool:
    """Bytes that a browser would render as an HTML/XML document (what the content origin plays)."""
    return sniff_passive(head[:HEAD_BYTES]) is None and _MARKUP.search(head[:HEAD_BYTES]) is not None


# --- signed content-origin URLs (reviewers of submissions; no cookie ever reaches that origin) ---


def _mac(secret: str, material_id: str, file_id: str, expires: int) -> str:
    message = f"content|{material_id}|{file_id}|{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def sign_content(secret: str, material_id: str, file_id: str, *, ttl_s: int, now: float | None = None) -> str:
    """A token granting read access to one file on the content origin until it expires."""
    expires = int((now if now is not None else time.time()) + ttl_s)
    return f"{expires}.{_mac(secret, material_id, file_id, expires)}"


def verify_content(
    secret: str, token: str, material_id: str, file_id: str, *, now: float | None = None
) -> bool:
    """Whether ``token`` grants ``file_id`` of ``material_id`` now (constant-time comparison)."""
    expires_s, _, mac = token.partition(".")
    if not expires_s.isascii() or not expires_s.isdigit() or len(expires_s) > 12:
        return False
    expires = int(expires_s)
    if expires < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(mac.encode(), _mac(secret, material_id, file_id, expires).encode())
