"""E-lecture packages: SCORM 1.2/2004 and HTML5 zips built here, including hostile ones."""

from __future__ import annotations

import stat
import struct
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

from ingest.processors.detect import HTML5_PACKAGE, SCORM, detect_media_type
from ingest.processors.packages import inspect_package
from ingest.processors.sandbox import ProcessingFailed

SCORM12_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="toan5" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="ORG-1">
    <organization identifier="ORG-0"><title>Bản nháp</title></organization>
    <organization identifier="ORG-1">
      <title>Toán lớp 5: Phân số thập phân</title>
      <item identifier="I1" identifierref="R1" parameters="lesson=1"><title>Bài 1: Khái niệm</title></item>
      <item identifier="I2"><title>Chương 2</title>
        <item identifier="I3" identifierref="R2"><title>Bài 2: Luyện tập</title></item>
      </item>
    </organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="R1" type="webcontent" adlcp:scormtype="sco" href="bai1/index.html"/>
    <resource identifier="R2" type="webcontent" adlcp:scormtype="sco" href="bai2.html"/>
  </resources>
</manifest>
"""

SCORM2004_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="ls" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="O">
    <organization identifier="O"><title>Lịch sử 9: Phong trào Đông Du</title>
      <item identifier="A" identifierref="SCO"><title>Phan Bội Châu</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="SCO" type="webcontent" adlcp:scormType="sco" href="shared/launch.html"/>
  </resources>
</manifest>
"""

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body {{ color: red }}</style><script>var secret = "không phải nội dung";</script></head>
<body><h1>{title}</h1><p>{body}</p></body></html>
"""


def _zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    d = tmp_path / "out"
    d.mkdir()
    return d


class TestScorm:
    def test_scorm12_manifest_title_launch_organisations_and_text(self, tmp_path: Path, out: Path) -> None:
        # Authoring tools write decomposed (NFD) Vietnamese too; the text must come out NFC.
        body = unicodedata.normalize("NFD", "Phân số thập phân là phân số có mẫu số là 10, 100, 1000.")
        pkg = _zip(
            tmp_path / "toan5.zip",
            {
                "imsmanifest.xml": SCORM12_MANIFEST,
                "content/bai1/index.html": PAGE.format(title="Bài 1", body=body),
                "content/bai2.html": PAGE.format(title="Bài 2", body="Viết các phân số sau &amp; rút gọn."),
                "content/bai1/hinh.png": b"\x89PNG\r\n\x1a\n",
            },
        )
        assert detect_media_type(pkg, None, pkg.name) == SCORM
        result = inspect_package(pkg, out)
        assert result.kind == "scorm12"
        assert result.title == "Toán lớp 5: Phân số thập phân"
        assert result.launch == "content/bai1/index.html?lesson=1"
        assert result.organizations[0]["identifier"] == "ORG-1"
        assert result.organizations[0]["items"] == ["Bài 1: Khái niệm", "Chương 2", "Bài 2: Luyện tập"]
        assert result.files == [
            "content/bai1/hinh.png",
            "content/bai1/index.html",
            "content/bai2.html",
            "imsmanifest.xml",
        ]
        assert result.extracted_dir == out / "content"
        assert (out / "content/content/bai1/index.html").is_file()
        assert "Phân số thập phân là phân số có mẫu số là 10, 100, 1000." in result.text
        assert "Viết các phân số sau & rút gọn." in result.text
        assert result.text.index("mẫu số") < result.text.index("rút gọn")  # launch page first
        assert "không phải nội dung" not in result.text  # scripts are not text
        assert "color: red" not in result.text
        assert unicodedata.is_normalized("NFC", result.text)

    def test_scorm2004_version_and_launch(self, tmp_path: Path, out: Path) -> None:
        pkg = _zip(
            tmp_path / "ls.zip",
            {
                "imsmanifest.xml": SCORM2004_MANIFEST,
                "shared/launch.html": PAGE.format(
                    title="Đông Du", body="Năm 1905 Phan Bội Châu sang Nhật Bản."
                ),
            },
        )
        result = inspect_package(pkg, out)
        assert result.kind == "scorm2004"
        assert result.title == "Lịch sử 9: Phong trào Đông Du"
        assert result.launch == "shared/launch.html"
        assert "Năm 1905 Phan Bội Châu sang Nhật Bản." in result.text

    def test_rerun_replaces_the_unpacked_tree(self, tmp_path: Path, out: Path) -> None:
        pkg = _zip(
            tmp_path / "ls.zip", {"imsmanifest.xml": SCORM2004_MANIFEST, "shared/launch.html": "<p>x</p>"}
        )
        inspect_package(pkg, out)
        (out / "content" / "stray.txt").write_text("left over")
        result = inspect_package(pkg, out)
        assert sorted(p.name for p in (out / "content").rglob("*") if p.is_file()) == [
            "imsmanifest.xml",
            "launch.html",
        ]
        assert result.files == ["imsmanifest.xml", "shared/launch.html"]

    def test_launch_page_missing_from_the_package_is_noted(self, tmp_path: Path, out: Path) -> None:
        pkg = _zip(tmp_path / "ls.zip", {"imsmanifest.xml": SCORM2004_MANIFEST})
        result = inspect_package(pkg, out)
        assert result.launch is None
        assert "launch page shared/launch.html is not in the package" in result.notes

    def test_broken_manifest_and_xml_bomb_fail_with_reasons(self, tmp_path: Path, out: Path) -> None:
        broken = _zip(tmp_path / "a.zip", {"imsmanifest.xml": "<manifest><organizations>"})
        with pytest.raises(ProcessingFailed, match=r"imsmanifest\.xml is not well-formed XML"):
            inspect_package(broken, out)
        laughs = (
            '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            "<manifest>&b;</manifest>"
        )
        bomb = _zip(tmp_path / "b.zip", {"imsmanifest.xml": laughs})
        with pytest.raises(ProcessingFailed, match="declares XML entities"):
            inspect_package(bomb, out)


class TestHtml5:
    def test_top_level_index_html(self, tmp_path: Path, out: Path) -> None:
        pkg = _zip(
            tmp_path / "h5.zip",
            {
                "index.html": PAGE.format(
                    title="Khoa học tự nhiên 6", body="Tế bào là đơn vị cơ sở của sự sống."
                ),
                "js/app.js": "console.log('hi')",
            },
        )
        assert detect_media_type(pkg, None, pkg.name) == HTML5_PACKAGE
        result = inspect_package(pkg, out)
        assert result.kind == "html5"
        assert result.launch == "index.html"
        assert result.title == "Khoa học tự nhiên 6"
        assert "Tế bào là đơn vị cơ sở của sự sống." in result.text
        assert (out / "content" / "js" / "app.js").read_text() == "console.log('hi')"

    def test_index_inside_one_top_folder(self, tmp_path: Path, out: Path) -> None:
        pkg = _zip(tmp_path / "h5.zip", {"bai-giang/index.htm": "<title>Tiếng Việt 3</title><p>Chính tả</p>"})
        result = inspect_package(pkg, out)
        assert (result.kind, result.launch, result.title) == ("html5", "bai-giang/index.htm", "Tiếng Việt 3")

    def test_legacy_charset_page(self, tmp_path: Path, out: Path) -> None:
        # Windows-1258 writes tone marks as separate combining bytes (0xEC acute, 0xF2 dot below).
        page = b'<html><head><meta charset="windows-1258"></head><body>Ti\xea\xecng Vi\xea\xf2t</body></html>'
        pkg = _zip(tmp_path / "h5.zip", {"index.html": page})
        assert inspect_package(pkg, out).text == "Tiếng Việt"


class TestOtherZips:
    def test_plain_zip_is_listed_not_unpacked(self, tmp_path: Path, out: Path) -> None:
        pkg = _zip(
            tmp_path / "z.zip", {"bai1.docx": b"PK..", "inner.zip": b"PK\x03\x04", "doc/readme.txt": "hi"}
        )
        result = inspect_package(pkg, out)
        assert result.kind == "zip"
        assert result.files == ["bai1.docx", "doc/readme.txt", "inner.zip"]
        assert result.extracted_dir is None
        assert result.text == ""
        assert list(out.iterdir()) == []
        assert "contains 1 nested archive(s), not opened" in result.notes

    def test_not_a_zip(self, tmp_path: Path, out: Path) -> None:
        bad = tmp_path / "x.zip"
        bad.write_bytes(b"PK\x03\x04 truncated")
        with pytest.raises(ProcessingFailed, match="zip archive is truncated or corrupt"):
            inspect_package(bad, out)


def _patch_sizes(path: Path, declared: int) -> None:
    """Rewrite every uncompressed-size field (local and central headers) to ``declared``."""
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := data.find(sig, start)) != -1:
            struct.pack_into("<I", data, i + offset, declared)
            start = i + 4
    path.write_bytes(bytes(data))


class TestHostilePackages:
    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            ("../evil.html", "package contains a path leaving the package (../evil.html); refused"),
            (
                "lesson/../../evil.html",
                "package contains a path leaving the package (lesson/../../evil.html); refused",
            ),
            ("/etc/cron.d/evil", "package contains an absolute path (/etc/cron.d/evil); refused"),
            ("C:\\Windows\\evil.dll", "package contains an absolute path (C:\\Windows\\evil.dll); refused"),
            ("..\\evil.html", "package contains a path leaving the package (..\\evil.html); refused"),
        ],
    )
    def test_path_escapes_are_refused(self, tmp_path: Path, out: Path, name: str, reason: str) -> None:
        pkg = tmp_path / "evil.zip"
        with zipfile.ZipFile(pkg, "w") as zf:
            zf.writestr("index.html", "<p>hi</p>")
            zf.writestr(zipfile.ZipInfo(name), "pwned")
        with pytest.raises(ProcessingFailed) as info:
            inspect_package(pkg, out)
        assert info.value.reason == reason
        assert not (tmp_path / "evil.html").exists()
        assert not (out / "content").exists()

    def test_symlink_entry_is_refused(self, tmp_path: Path, out: Path) -> None:
        pkg = tmp_path / "link.zip"
        link = zipfile.ZipInfo("passwd.html")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        with zipfile.ZipFile(pkg, "w") as zf:
            zf.writestr("index.html", "<p>hi</p>")
            zf.writestr(link, "/etc/passwd")
        with pytest.raises(ProcessingFailed) as info:
            inspect_package(pkg, out)
        assert info.value.reason == "package contains a symbolic link (passwd.html); refused"
        assert not (out / "content").exists()

    def test_ten_thousand_files_fail_fast(self, tmp_path: Path, out: Path) -> None:
        pkg = tmp_path / "many.zip"
        with zipfile.ZipFile(pkg, "w") as zf:
            zf.writestr("index.html", "<p>hi</p>")
            for i in range(10_000):
                zf.writestr(f"f/{i}.txt", "")
        started = time.monotonic()
        with pytest.raises(ProcessingFailed) as info:
            inspect_package(pkg, out)
        assert info.value.reason == "package has 10,001 files, more than the limit of 5,000"
        assert time.monotonic() - started < 10

    def test_one_gigabyte_declared_fails_before_writing(self, tmp_path: Path, out: Path) -> None:
        pkg = tmp_path / "big.zip"
        with zipfile.ZipFile(pkg, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr("index.html", "<p>hi</p>")
            zf.writestr("video.mp4", b"\x00" * 1024)
        _patch_sizes(pkg, 1024**3)
        with pytest.raises(ProcessingFailed) as info:
            inspect_package(pkg, out)
        assert info.value.reason == "package would unpack to more than 524 MB (declared sizes)"
        assert not (out / "content").exists()

    def test_compression_bomb_member(self, tmp_path: Path, out: Path) -> None:
        pkg = _zip(tmp_path / "bomb.zip", {"index.html": "<p>hi</p>", "data.bin": bytes(50 * 1024 * 1024)})
        with pytest.raises(
            ProcessingFailed, match=r"data.bin would inflate [\d,]+ times \(a decompression bomb\?\)"
        ):
            inspect_package(pkg, out)

    def test_sizes_that_lie_are_caught_while_unpacking(self, tmp_path: Path, out: Path) -> None:
        pkg = tmp_path / "lie.zip"
        with zipfile.ZipFile(pkg, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr("index.html", "<p>" + "x" * 5000 + "</p>")
        _patch_sizes(pkg, 10)  # declares 10 bytes: the CRC of what is read cannot match
        with pytest.raises(ProcessingFailed, match=r"package is damaged \(index.html cannot be unpacked\)"):
            inspect_package(pkg, out)

    def test_password_protected_package(self, tmp_path: Path, out: Path) -> None:
        pkg = _zip(tmp_path / "enc.zip", {"index.html": "<p>hi</p>"})
        data = bytearray(pkg.read_bytes())
        for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            i = data.find(sig)
            struct.pack_into("<H", data, i + offset, struct.unpack_from("<H", data, i + offset)[0] | 1)
        pkg.write_bytes(bytes(data))
        with pytest.raises(ProcessingFailed, match="package is password-protected"):
            inspect_package(pkg, out)


class TestPipeline:
    def test_process_path_stores_package_files_text_and_launch(self, tmp_path: Path) -> None:
        from ingest.pipeline import process_path

        pkg = _zip(
            tmp_path / "upload.bin",
            {
                "imsmanifest.xml": SCORM12_MANIFEST,
                "content/bai1/index.html": PAGE.format(title="Bài 1", body="Phân số thập phân."),
                "content/bai2.html": "<p>Luyện tập</p>",
                "content/style.css": "p { margin: 0 }",
            },
        )
        work = tmp_path / "work"
        work.mkdir()
        outcome = process_path(pkg, "toan5.zip", "application/octet-stream", work, lambda _f: None)
        assert outcome.media_type == SCORM
        assert outcome.info["package"] == {
            "kind": "scorm12",
            "title": "Toán lớp 5: Phân số thập phân",
            "launch": "content/bai1/index.html?lesson=1",
        }
        assert outcome.info["title"] == "Toán lớp 5: Phân số thập phân"
        assert "Phân số thập phân." in outcome.text
        parts = {d.label: d for d in outcome.derivatives if d.kind == "package"}
        assert sorted(parts) == [
            "content/bai1/index.html",
            "content/bai2.html",
            "content/style.css",
            "imsmanifest.xml",
        ]
        assert parts["content/bai1/index.html"].media_type == "text/html"
        assert parts["content/style.css"].media_type == "text/css"
        assert parts["content/bai2.html"].path.read_text() == "<p>Luyện tập</p>"
        assert any(d.kind == "thumbnail" for d in outcome.derivatives)  # a placeholder

    def test_hostile_package_fails_the_file_with_the_reason(self, tmp_path: Path) -> None:
        from ingest.pipeline import process_path

        pkg = tmp_path / "evil.zip"
        with zipfile.ZipFile(pkg, "w") as zf:
            zf.writestr("index.html", "<p>hi</p>")
            zf.writestr(zipfile.ZipInfo("../../evil.sh"), "rm -rf /")
        work = tmp_path / "work"
        work.mkdir()
        with pytest.raises(ProcessingFailed) as info:
            process_path(pkg, "evil.zip", None, work, lambda _f: None)
        assert info.value.reason == "package contains a path leaving the package (../../evil.sh); refused"
        assert info.value.transient is False
