"""The static site inside an offline package: pages, search index and assets (pure rendering).

Every link is relative to the page (``root`` is ``""``, ``"../"`` or ``"../../"``), every page is
plain HTML that reads without JavaScript, and the only script is ``assets/site.js`` (search and
nothing else) with the index in ``assets/search-index.js``: ``fetch`` of a local JSON file is
refused under ``file://``, a ``<script src>`` is not. Pages are rendered in a fixed order so the
same content gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from repository.models import Material
from repository.text import fold
from repository.vocabularies import load_vocabularies

HERE = Path(__file__).resolve().parent
ASSETS = ("site.css", "site.js")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
NO_LESSON = "Tài liệu khác"
NO_CHAPTER = "Chưa xếp chương"


def fold_key(text: str) -> str:
    """Accent-free, lowercase words separated by single spaces ("Phân số" → "phan so").

    ``assets/site.js`` folds the query the same way (NFD, drop marks, đ → d, lowercase).
    """
    return _NON_ALNUM.sub(" ", fold(text)).strip()


def material_path(material_id: str) -> str:
    return f"m/{material_id}.html"


def _label(vocab: str, code: str) -> str:
    term = load_vocabularies()[vocab].get(code)
    return term.label_vi if term is not None else code


def language_label(code: str) -> str:
    vocabs = load_vocabularies()
    if "language" in vocabs and code in vocabs["language"]:
        return _label("language", code)
    return code


def format_size(size: int) -> str:
    """Vietnamese style: "1,8 MB", "420 KB"."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} KB"


@dataclass
class FileView:
    """How one file of a material is shown in the package (paths are package paths)."""

    filename: str
    media_type: str
    status: str
    kind: str = "other"  # video | audio | document | image | other
    thumbnail: str | None = None
    video: str | None = None
    video_size: int = 0
    poster: str | None = None
    listen: str | None = None
    listen_size: int = 0
    listen_type: str = ""
    # (lang, label, package path, data: URL or "" when too large to inline)
    captions: list[tuple[str, str, str, str]] = field(default_factory=list)
    audio: str | None = None
    audio_type: str = ""
    pages: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    pdf: str | None = None
    original: str | None = None
    image: str | None = None
    text: str | None = None


@dataclass
class _Item:
    id: str
    title: str
    meta: dict[str, Any]
    files: list[FileView]
    approval: dict[str, Any] | None

    @property
    def thumbnail(self) -> str | None:
        return next((f.thumbnail for f in self.files if f.thumbnail), None)


def _lesson_slug(series: str, volume: int, chapter: str, lesson: str) -> str:
    digest = hashlib.sha256(f"{series}|{volume}|{chapter}|{lesson}".encode()).hexdigest()[:8]
    words = fold_key(lesson).replace(" ", "-")[:48].strip("-") or "khac"
    return f"{words}-{digest}"


class Site:
    """Collects the materials of one package, then renders all of its pages."""

    def __init__(self, selection: Any) -> None:
        self.selection = selection
        self.items: list[_Item] = []
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["size"] = format_size
        self.env.globals["label"] = _label

    def add_material(
        self, material: Material, files: list[FileView], approval: dict[str, Any] | None
    ) -> None:
        self.items.append(_Item(material.id, material.title, material.meta, files, approval))

    # --- structure ---------------------------------------------------------------------------

    def _subjects(self, item: _Item) -> list[str]:
        subjects = list(item.meta.get("subjects") or []) or ["khac"]
        if self.selection.subject is not None:
            return [self.selection.subject]
        return subjects

    def _tree(self) -> dict[str, Any]:
        """subject → [(book label, [(chapter, [(lesson, slug, items)])])], ordered as the vocabularies."""
        vocabs = load_vocabularies()
        series_order = {c: i for i, c in enumerate(vocabs["series"].codes())}
        subject_order = {c: i for i, c in enumerate(vocabs["subject"].codes())}
        grouped: dict[str, dict[tuple[str, int], dict[str, dict[str, list[_Item]]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        )
        for item in self.items:
            m = item.meta
            book = (str(m.get("series") or ""), int(m.get("volume") or 0))
            for s in self._subjects(item):
                grouped[s][book][str(m.get("chapter") or "")][str(m.get("lesson") or "")].append(item)
        tree: dict[str, Any] = {}
        for s in sorted(grouped, key=lambda c: (subject_order.get(c, 999), c)):
            books = []
            for series, volume in sorted(
                grouped[s], key=lambda b: (series_order.get(b[0], 999), b[0] == "", b)
            ):
                label = _label("series", series) if series else "Tài liệu chung"
                if volume:
                    label = f"{label}, tập {volume}"
                chapters = []
                for chapter in sorted(grouped[s][(series, volume)], key=lambda c: (c == "", _natural(c))):
                    lessons = []
                    by_lesson = grouped[s][(series, volume)][chapter]
                    for lesson in sorted(by_lesson, key=lambda x: (x == "", _natural(x))):
                        items = sorted(by_lesson[lesson], key=lambda i: (_natural(i.title), i.id))
                        slug = _lesson_slug(series, volume, chapter, lesson)
                        lessons.append((lesson or NO_LESSON, slug, items))
                    chapters.append((chapter or NO_CHAPTER, lessons))
                books.append((label, chapters))
            tree[s] = books
        return tree

    # --- rendering -----------------------------------------------------------------------------

    def _page(self, template: str, root: str, **context: Any) -> bytes:
        g = self.selection.grade
        base = {"root": root, "grade": g, "grade_label": f"Lớp {g}", "selection": self.selection}
        return self.env.get_template(template).render(**base, **context).encode("utf-8")

    def render(self) -> list[tuple[str, bytes]]:
        """Every generated file of the package: ``(path, bytes)``."""
        g = self.selection.grade
        tree = self._tree()
        subjects = [
            (s, _label("subject", s) if s != "khac" else "Môn khác", _count(books))
            for s, books in tree.items()
        ]
        out: list[tuple[str, bytes]] = [
            ("index.html", self._page("index.html", "", subjects=subjects, total=len(self.items))),
            (f"lop-{g}/index.html", self._page("grade.html", "../", subjects=subjects)),
            ("search.html", self._page("search.html", "")),
        ]
        where: dict[str, tuple[str, str, str, str]] = {}
        for s, books in tree.items():
            s_label = _label("subject", s) if s != "khac" else "Môn khác"
            out.append(
                (
                    f"lop-{g}/{s}/index.html",
                    self._page("subject.html", "../../", subject=s, subject_label=s_label, books=books),
                )
            )
            for book, chapters in books:
                for chapter, lessons in chapters:
                    for lesson, slug, items in lessons:
                        out.append(
                            (
                                f"lop-{g}/{s}/{slug}.html",
                                self._page(
                                    "lesson.html",
                                    "../../",
                                    subject=s,
                                    subject_label=s_label,
                                    book=book,
                                    chapter=chapter,
                                    lesson=lesson,
                                    items=items,
                                ),
                            )
                        )
                        for item in items:
                            where.setdefault(item.id, (s, s_label, lesson, f"lop-{g}/{s}/{slug}.html"))
        for item in sorted(self.items, key=lambda i: i.id):
            s, s_label, lesson, lesson_page = where[item.id]
            out.append(
                (
                    material_path(item.id),
                    self._page(
                        "material.html",
                        "../",
                        item=item,
                        meta=item.meta,
                        subject=s,
                        subject_label=s_label,
                        lesson=lesson,
                        lesson_page=lesson_page,
                    ),
                )
            )
        out.append(("assets/search-index.js", self._search_index(where)))
        out += [(f"assets/{name}", (HERE / "assets" / name).read_bytes()) for name in ASSETS]
        return out

    def _search_index(self, where: dict[str, tuple[str, str, str, str]]) -> bytes:
        rows = []
        for item in sorted(self.items, key=lambda i: (_natural(i.title), i.id)):
            m = item.meta
            _s, s_label, lesson, _page = where[item.id]
            words = " ".join(
                [
                    str(m.get("description") or ""),
                    str(m.get("chapter") or ""),
                    lesson,
                    s_label,
                    " ".join(str(k) for k in m.get("keywords") or []),
                    _label("resource-type", str(m["type"])) if m.get("type") else "",
                ]
            )
            rows.append(
                {
                    "u": material_path(item.id),
                    "t": item.title,
                    "s": f"{s_label} · {lesson}",
                    "ft": fold_key(item.title),
                    "fk": fold_key(words),
                    "th": item.thumbnail or "",
                }
            )
        body = json.dumps(rows, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return f"window.HOCLIEU_INDEX = {body};\n".encode()


def _count(books: list[Any]) -> int:
    return len(
        {
            i.id
            for _b, chapters in books
            for _c, lessons in chapters
            for _l, _s, items in lessons
            for i in items
        }
    )


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", fold(text)))
