"""The reading view: a document's extracted text, page by page, for reading on a phone.

PDF page images are about 5 px text on a 360 px screen; the text ingest extracted (``text``
derivatives: label ``"pages"`` is a JSON list of ``[page, text]``, label ``""`` the whole text)
reflows to any width. Visibility is the material's (:meth:`MaterialService.get`).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from repository.material.service import material as material_service
from repository.models import User

#: A page of text longer than this is cut (a reading view, not a download).
MAX_PAGE_CHARS = 60_000


@dataclass
class ReadingView:
    """The readable text of a material: ``pages[i]`` is page ``i + 1`` as paragraphs."""

    material_id: str
    title: str
    language: str | None
    pages: list[list[str]] = field(default_factory=list)


_ENDS = (".", ":", "?", "!", "…")
# A line that starts an item: a bullet or dash, "1." / "a)", "Bài 2", "Câu 3".
_STARTS = re.compile(
    "^(?:[\u2022\u00b7*\u2013-]|\\d+[.)]|[a-z\u0111]\\)|B\u00e0i \\d|C\u00e2u \\d)", re.IGNORECASE
)


def paragraphs(text: str) -> list[str]:
    """Reflow extracted text: blank lines separate paragraphs; a line break inside a block joins
    the lines with a space, unless the line ends a sentence or the next one starts an item
    ("•", "1.", "a)", "Bài 2"); a word cut by a hyphen at a line end is joined again."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        current = ""
        for raw in block.split("\n"):
            line = " ".join(raw.split())
            if not line:
                continue
            if current and (current.endswith(_ENDS) or _STARTS.match(line)):
                out.append(current)
                current = line
            elif current.endswith("-") and line[:1].isalpha():
                current = current[:-1] + line
            else:
                current = f"{current} {line}" if current else line
        if current:
            out.append(current)
    return out


def reading_view(session: Session, blobs: Any, actor: User | None, material_id: str) -> ReadingView:
    """The text of every file of the material, one entry per page (a file without pages is one).

    Raises:
        NotFound: no such material, or not one ``actor`` may see.
    """
    found = material_service.get(session, actor, material_id)
    view = ReadingView(material_id=found.id, title=found.title, language=found.meta.get("language"))
    for f in found.files:
        texts = {d.label: d for d in f.derivatives if d.kind == "text"}
        if "pages" in texts:
            with blobs.open(texts["pages"].storage_key) as fh:
                pages = json.loads(fh.read().decode("utf-8"))
            view.pages += [paragraphs(str(text)[:MAX_PAGE_CHARS]) for _, text in sorted(pages)]
        elif "" in texts:
            with blobs.open(texts[""].storage_key) as fh:
                view.pages.append(paragraphs(fh.read(MAX_PAGE_CHARS).decode("utf-8", errors="ignore")))
    view.pages = [p for p in view.pages if p]
    return view


def render_markdown(text: str) -> str:
    """A Markdown worksheet as HTML we made (the preview shown on the portal): CommonMark and
    tables, raw HTML in the source shown as text, link targets limited by markdown-it's
    ``validateLink`` (no ``javascript:``, ``vbscript:``, ``file:`` or ``data:`` links), images as
    their alternative text (a worksheet must not make the reader's browser fetch other sites)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

    def image_as_text(_self: Any, tokens: Any, idx: int, _options: Any, _env: Any) -> str:
        return html.escape(tokens[idx].content)

    md.add_render_rule("image", image_as_text)
    return str(md.render(text))


#: A Markdown original larger than this is not rendered in the page (download it instead).
MAX_MARKDOWN_BYTES = 200_000
MARKDOWN_TYPES = ("text/markdown", "text/x-markdown")


def worksheet_html(blobs: Any, file: Any) -> str | None:
    """The rendered preview of a Markdown worksheet (:func:`render_markdown`), else None."""
    markdown = file.media_type in MARKDOWN_TYPES or str(file.filename).lower().endswith((".md", ".markdown"))
    if not markdown or file.status != "ready" or file.size > MAX_MARKDOWN_BYTES:
        return None
    with blobs.open(file.storage_key) as stream:
        text = stream.read(MAX_MARKDOWN_BYTES).decode("utf-8", errors="replace")
    return render_markdown(text)
