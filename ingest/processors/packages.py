"""E-lecture packages: SCORM 1.2/2004 and HTML5 zips, unpacked safely, their manifest and text read.

Teachers upload lectures exported from authoring tools (iSpring, Articulate, Adobe Captivate,
H5P exports) as zips. The portal can play them in a sandboxed frame once they are unpacked, and
search needs their text. A zip from the internet is hostile until proven otherwise, so
:func:`inspect_package` checks the whole central directory *before* writing a byte:

* no entry may escape the output directory: ``..`` segments, absolute paths (``/etc/x``,
  ``C:\\x``, ``\\\\server\\x``) and symbolic-link entries make the package fail with a reason;
* limits on the number of files, the total uncompressed size and the compression ratio (a
  member inflating more than ``MAX_RATIO`` times, i.e. a zip bomb) fail fast, from the declared
  sizes; while extracting, the bytes actually written are counted again, because the declared
  sizes are written by the attacker too;
* nested archives are kept as files, never opened; nothing in the package is executed.

The manifest (``imsmanifest.xml``) gives the version (``schemaversion``, or the ADL namespaces),
the organisations with their item titles, the title and the launch page (the first item of the
default organisation that points to a resource, resolved through ``xml:base``). An HTML5 package
launches its top-level ``index.html`` (or the one inside a single top-level folder). The text of
the HTML pages (tags, scripts and styles stripped, NFC) becomes the package's text. Other zips are
only listed.

The work runs in a child process with time and memory limits
(:func:`~ingest.processors.sandbox.run_isolated`).
"""

from __future__ import annotations

import html.parser
import posixpath
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

from ingest.processors.sandbox import ProcessingFailed, run_isolated

__all__ = ["PackageKind", "PackageResult", "inspect_package"]

PackageKind = Literal["scorm12", "scorm2004", "html5", "zip"]

MAX_FILES = 5_000
MAX_TOTAL_BYTES = 500 * 1024 * 1024
# Deflate tops out near 1000:1 on zeros; real course content (HTML, JS, images, video) stays
# far below 100:1. Small members are exempt: a 4 KB file of spaces is not a bomb.
MAX_RATIO = 200
RATIO_EXEMPT_BYTES = 1024 * 1024
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
# Text is taken from at most this many pages, each read up to this size.
MAX_HTML_PAGES = 500
MAX_HTML_BYTES = 5 * 1024 * 1024
MAX_TEXT_CHARS = 5_000_000

_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".7z", ".rar", ".tar", ".bz2", ".xz")


@dataclass
class PackageResult:
    """What a zip upload contains.

    Attributes:
        kind: ``scorm12``, ``scorm2004``, ``html5`` or ``zip`` (listed only, not unpacked).
        title: the course title (default organisation, else the launch page's ``<title>``).
        launch: the launch page, relative to the package root (may carry a ``?query``), or
            None when there is none inside the package.
        files: every file in the package, relative POSIX paths, sorted.
        text: the text of the HTML pages (launch page first), NFC.
        extracted_dir: where the files were unpacked (``outdir/content``), None for ``zip``.
        organizations: for SCORM, ``{"identifier", "title", "items": [item titles]}`` each.
        notes: things a curator may want to know (skipped pages, an external launch URL).
    """

    kind: PackageKind
    title: str | None
    launch: str | None
    files: list[str]
    text: str
    extracted_dir: Path | None
    organizations: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def inspect_package(
    path: str | Path,
    outdir: str | Path,
    *,
    timeout_s: float = 300,
    memory_mb: int = 1024,
    max_files: int = MAX_FILES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> PackageResult:
    """Recognise, unpack (SCORM/HTML5 only) and read a zip upload.

    Args:
        path: the zip file.
        outdir: existing directory; SCORM and HTML5 packages are unpacked into
            ``outdir/content`` (replaced if present, so a re-run gives the same tree).
        timeout_s, memory_mb: limits for the child process doing the work.
        max_files, max_total_bytes: package limits (declared and actual).

    Returns:
        A :class:`PackageResult`.

    Raises:
        ProcessingFailed: not a readable zip, an unsafe entry (path traversal, absolute path,
            symbolic link), or a limit exceeded; the reason names which.
    """
    return run_isolated(
        _inspect,
        str(path),
        str(outdir),
        max_files,
        max_total_bytes,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        label="package unpacking",
    )


# --- the work (in the child) -----------------------------------------------------------------


def _inspect(path: str, outdir: str, max_files: int, max_total_bytes: int) -> PackageResult:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ProcessingFailed("zip archive is truncated or corrupt", detail=str(exc)) from None
    with zf:
        infos = _checked_members(zf, max_files, max_total_bytes)
        files = sorted(name for name, _ in infos)
        names = set(files)
        result = PackageResult(kind="zip", title=None, launch=None, files=files, text="", extracted_dir=None)
        if "imsmanifest.xml" in names:
            _read_manifest(zf, result)
        else:
            root = _html5_root(names)
            if root is None:
                result.notes.append("archive listed, not extracted")
                nested = [n for n in files if n.lower().endswith(_ARCHIVE_SUFFIXES)]
                if nested:
                    result.notes.append(f"contains {len(nested)} nested archive(s), not opened")
                return result
            result.kind = "html5"
            result.launch = root
        target = Path(outdir) / "content"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        _extract(zf, infos, target, max_total_bytes)
        result.extracted_dir = target
    _read_pages(target, result)
    if result.launch is not None and _strip_query(result.launch) not in names:
        result.notes.append(f"launch page {result.launch} is not in the package")
        result.launch = None
    return result


def _checked_members(
    zf: zipfile.ZipFile, max_files: int, max_total_bytes: int
) -> list[tuple[str, zipfile.ZipInfo]]:
    """Validate every entry from the central directory; return (safe name, info) for files."""
    infos = zf.infolist()
    if len(infos) > max_files:
        raise ProcessingFailed(f"package has {len(infos):,} files, more than the limit of {max_files:,}")
    total = 0
    out: list[tuple[str, zipfile.ZipInfo]] = []
    seen: set[str] = set()
    for info in infos:
        name = _safe_name(info.filename)
        mode = info.external_attr >> 16
        if info.create_system == 3 and stat.S_ISLNK(mode):  # 3 = Unix: the mode bits are real
            raise ProcessingFailed(f"package contains a symbolic link ({_shown(info.filename)}); refused")
        if info.is_dir() or not name:
            continue
        if info.flag_bits & 0x1:
            raise ProcessingFailed("package is password-protected")
        total += info.file_size
        if total > max_total_bytes:
            raise ProcessingFailed(
                f"package would unpack to more than {max_total_bytes / 1e6:,.0f} MB (declared sizes)"
            )
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > RATIO_EXEMPT_BYTES and ratio > MAX_RATIO:
            raise ProcessingFailed(
                f"{_shown(info.filename)} would inflate {ratio:,} times (a decompression bomb?)"
            )
        if name.lower() in seen:
            # Two entries that land on the same file (case-insensitive filesystems too).
            raise ProcessingFailed(f"package lists {_shown(info.filename)} twice")
        seen.add(name.lower())
        out.append((name, info))
    return out


_DRIVE = re.compile(r"^[A-Za-z]:")


def _safe_name(raw: str) -> str:
    """The entry's path relative to the package root, or a ProcessingFailed if it escapes."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name) or "\x00" in name:
        raise ProcessingFailed(f"package contains an absolute path ({_shown(raw)}); refused")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ProcessingFailed(f"package contains a path leaving the package ({_shown(raw)}); refused")
    return "/".join(parts)


def _shown(name: str) -> str:
    return name if len(name) <= 80 else name[:77] + "..."


def _extract(zf: zipfile.ZipFile, infos: list[tuple[str, zipfile.ZipInfo]], target: Path, limit: int) -> None:
    written = 0
    root = target.resolve()
    for name, info in infos:
        dest = (target / name).resolve()
        if root not in dest.parents:  # belt and braces over _safe_name
            raise ProcessingFailed(f"package contains a path leaving the package ({_shown(name)}); refused")
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with zf.open(info) as src, dest.open("wb") as dst:
                while chunk := src.read(1024 * 1024):
                    written += len(chunk)
                    if written > limit:
                        raise ProcessingFailed(f"package unpacks to more than {limit / 1e6:,.0f} MB")
                    dst.write(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
            # zipfile checks each member's CRC at its end: a lying or damaged member fails here.
            raise ProcessingFailed(
                f"package is damaged ({_shown(name)} cannot be unpacked)", detail=str(exc)
            ) from None


def _html5_root(names: set[str]) -> str | None:
    for index in ("index.html", "index.htm"):
        if index in names:
            return index
    # Exports often wrap everything in one folder ("bai-giang/index.html").
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1:
        top = next(iter(tops))
        for index in ("index.html", "index.htm"):
            if f"{top}/{index}" in names:
                return f"{top}/{index}"
    return None


def _strip_query(href: str) -> str:
    return href.split("#", 1)[0].split("?", 1)[0]


# --- imsmanifest.xml -------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [c for c in el if _local(c.tag) == name]


def _child_text(el: ElementTree.Element, name: str) -> str | None:
    for c in _children(el, name):
        text = "".join(c.itertext()).strip()
        if text:
            return unicodedata.normalize("NFC", text)
    return None


_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def _read_manifest(zf: zipfile.ZipFile, result: PackageResult) -> None:
    info = zf.getinfo("imsmanifest.xml")
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ProcessingFailed("imsmanifest.xml is too large to be a SCORM manifest")
    data = zf.read(info)
    if b"<!ENTITY" in data:
        # Entity expansion is how XML bombs work; no real manifest declares entities.
        raise ProcessingFailed("imsmanifest.xml declares XML entities; refused")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ProcessingFailed("imsmanifest.xml is not well-formed XML", detail=str(exc)) from None
    result.kind = _scorm_version(root, data)

    resources: dict[str, str] = {}
    for res_group in _children(root, "resources"):
        base = res_group.get(_XML_BASE, "")
        for res in _children(res_group, "resource"):
            href = res.get("href")
            ident = res.get("identifier")
            if href and ident:
                resources[ident] = _join(base, res.get(_XML_BASE, ""), href)

    launch: str | None = None
    orgs_el = next(iter(_children(root, "organizations")), None)
    default = orgs_el.get("default") if orgs_el is not None else None
    orgs = _children(orgs_el, "organization") if orgs_el is not None else []
    orgs.sort(key=lambda o: o.get("identifier") != default)  # the default one first
    for org in orgs:
        items = list(_items(org))
        result.organizations.append(
            {
                "identifier": org.get("identifier"),
                "title": _child_text(org, "title"),
                "items": [t for t in (_child_text(i, "title") for i in items) if t],
            }
        )
        if launch is None:
            for item in items:
                ref = item.get("identifierref")
                if ref and ref in resources:
                    params = item.get("parameters") or ""
                    launch = resources[ref] + (
                        params if params[:1] in ("?", "#") or not params else "?" + params
                    )
                    break
    if launch is None and resources:
        launch = next(iter(resources.values()))
    if result.organizations:
        first = result.organizations[0]
        result.title = first["title"] or (first["items"][0] if first["items"] else None)
    if launch is not None and re.match(r"^[a-z][a-z0-9+.-]*:", launch, re.IGNORECASE):
        result.notes.append(f"launch page is outside the package ({launch[:200]})")
        launch = None
    result.launch = launch


def _scorm_version(root: ElementTree.Element, data: bytes) -> PackageKind:
    for meta in _children(root, "metadata"):
        version = (_child_text(meta, "schemaversion") or "").lower()
        if "2004" in version or "cam 1.3" in version:
            return "scorm2004"
        if "1.2" in version:
            return "scorm12"
    # No schemaversion: the ADL namespaces tell (adlcp_v1p3 / imsss are SCORM 2004 only).
    if b"adlcp_v1p3" in data or b"imsss" in data or b"adlseq" in data:
        return "scorm2004"
    return "scorm12"


def _items(parent: ElementTree.Element) -> Any:
    for item in _children(parent, "item"):
        yield item
        yield from _items(item)


def _join(*parts: str) -> str:
    """Resolve an href against xml:base values, staying relative to the package root."""
    href = ""
    for part in parts:
        if not part:
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:", part, re.IGNORECASE):
            href = part  # an absolute URL replaces the base
        else:
            href = posixpath.join(href, part) if href and not href.endswith("/") else href + part
    path, sep, rest = href.partition("?")
    if not re.match(r"^[a-z][a-z0-9+.-]*:", path, re.IGNORECASE):
        path = posixpath.normpath(path).lstrip("/")
    return path + sep + rest


# --- text of the HTML pages ------------------------------------------------------------------


class _TextOf(html.parser.HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "td"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._skip:
            self.parts.append(data)


_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
_LINES = re.compile(r"\n\s*\n+")


def _decode(data: bytes) -> str:
    declared = _CHARSET.search(data[:4096])
    for encoding in ([declared.group(1).decode("ascii", "replace")] if declared else []) + ["utf-8-sig"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", "replace")


def _page_text(path: Path) -> tuple[str, str | None]:
    with path.open("rb") as fh:
        data = fh.read(MAX_HTML_BYTES)
    parser = _TextOf()
    parser.feed(_decode(data))
    parser.close()
    text = _SPACES.sub(" ", "".join(parser.parts))
    text = _LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()
    title = _SPACES.sub(" ", "".join(parser.title)).strip() or None
    return unicodedata.normalize("NFC", text), unicodedata.normalize("NFC", title) if title else None


def _read_pages(root: Path, result: PackageResult) -> None:
    pages = [f for f in result.files if f.lower().endswith(_HTML_SUFFIXES)]
    launch = _strip_query(result.launch) if result.launch else None
    if launch in pages:
        pages.remove(launch)
        pages.insert(0, launch)
    if len(pages) > MAX_HTML_PAGES:
        result.notes.append(f"text taken from the first {MAX_HTML_PAGES} of {len(pages)} pages")
        pages = pages[:MAX_HTML_PAGES]
    texts: list[str] = []
    size = 0
    for name in pages:
        text, title = _page_text(root / name)
        if name == launch and result.title is None and title:
            result.title = title
        if text:
            texts.append(text)
            size += len(text)
        if size > MAX_TEXT_CHARS:
            result.notes.append(f"text truncated to {MAX_TEXT_CHARS:,} characters")
            break
    result.text = "\n\n".join(texts)[:MAX_TEXT_CHARS]
