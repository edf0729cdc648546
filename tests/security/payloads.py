"""Files a hostile teacher uploads: each one tries to run script when someone opens it.

``ATTACKS`` pairs a file name with bytes whose type a browser would treat as a document;
``PASSIVE`` are formats that are safe to render and must stay viewable.
"""

from __future__ import annotations

import io
import zipfile

SCRIPT = "<script>document.title='pwned'</script>"
HTML = f"<!doctype html><html><body><h1>Bài tập</h1>{SCRIPT}</body></html>".encode()
XHTML = (
    '<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
    f"{SCRIPT}</body></html>"
).encode()
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="document.title=1">'
    f"{SCRIPT}</svg>"
).encode()
XML_XSL = b'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="#x"?><bai><cau>1</cau></bai>'
BARE_SCRIPT_TEXT = b"  \n<script>alert(1)</script> ghi chu"


def scorm_zip(page: bytes = HTML) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "imsmanifest.xml",
            '<?xml version="1.0"?><manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" '
            'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"><organizations default="o">'
            '<organization identifier="o"><title>Bài giảng</title><item identifier="i" identifierref="r">'
            "<title>Bài 1</title></item></organization></organizations><resources>"
            '<resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html">'
            '<file href="index.html"/></resource></resources></manifest>',
        )
        z.writestr("index.html", page)
    return buf.getvalue()


ATTACKS: dict[str, bytes] = {
    "bai-tap.html": HTML,
    "bai-tap.xhtml": XHTML,
    "hinh.svg": SVG,
    "img.png": HTML,  # HTML disguised by its name
    "notes.txt": HTML,  # HTML disguised as text
    "du-lieu.xml": XML_XSL,
    "ghi-chu.txt": BARE_SCRIPT_TEXT,
    "bai-giang.zip": scorm_zip(),
    "khong-ro.bin": b"\x00\x01\x02binary of no known kind",
}

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
PASSIVE: dict[str, tuple[bytes, str]] = {
    "phan-so.pdf": (b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf"),
    "anh.png": (PNG, "image/png"),
    "anh.jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
    "bai-hat.mp3": (b"ID3\x03\x00\x00\x00\x00\x00\x00rest", "audio/mpeg"),
    "video.mp4": (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video/mp4"),
    "ghi-chu.txt": ("Toán lớp 5: 3 < 5 và 1/2 + 1/4 = 3/4".encode(), "text/plain; charset=utf-8"),
}
