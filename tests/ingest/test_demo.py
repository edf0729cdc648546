"""The demo materials: generated, readable by the real parsers, valid metadata, reproducible.

Generation takes about two seconds, so the set is generated once per module; the tests only read
the files (nothing mutates them).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import av
import docx
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, ImageFont
from pptx import Presentation

from ingest.sources import demo_content
from ingest.sources.demo import (
    FONT_BOLD,
    FONT_REGULAR,
    DemoGenerationError,
    DemoItem,
    _run_ffmpeg,
    demo_items,
)
from repository.metadata import check_metadata
from repository.text import nfc
from repository.vocabularies import load_vocabularies


@pytest.fixture(scope="module")
def items(tmp_path_factory: pytest.TempPathFactory) -> list[DemoItem]:
    return demo_items(tmp_path_factory.mktemp("demo"))


def _by_name(items: list[DemoItem], suffix: str) -> list[DemoItem]:
    return [item for item in items if item.path.suffix == suffix]


def _spec(item: DemoItem) -> demo_content.Spec:
    return next(spec for spec in demo_content.SPECS if spec.filename == item.path.name)


def _squash(text: str) -> str:
    """Collapse whitespace: wrapped lines come back from a PDF with line breaks between words."""
    return re.sub(r"\s+", " ", text).strip()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _strings(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from _strings(inner)


class TestDemoSet:
    def test_every_item_has_a_non_empty_file_and_the_core_metadata(self, items: list[DemoItem]) -> None:
        for item in items:
            assert item.path.is_file(), item.path
            assert item.path.stat().st_size > 500, item.path
            for key in ("title", "grades", "subjects", "type", "level", "license", "authors"):
                assert item.metadata.get(key), f"{item.path.name}: {key} missing"

    def test_spans_grades_subjects_and_formats(self, items: list[DemoItem]) -> None:
        assert 14 <= len(items) <= 20
        grades = {g for item in items for g in item.metadata["grades"]}
        subjects = {s for item in items for s in item.metadata["subjects"]}
        types = {item.metadata["type"] for item in items}
        suffixes = {item.path.suffix for item in items}
        assert {1, 5, 9, 10} <= grades
        assert len(grades) >= 10
        assert len(subjects) >= 8
        assert len(types) >= 7
        assert {".pdf", ".docx", ".pptx", ".html", ".mp4", ".mp3", ".png", ".jpg"} <= suffixes
        assert {item.metadata["language"] for item in items} == {"vi", "en"}
        assert {a for item in items for a in item.metadata["audience"]} == {"hoc-sinh", "giao-vien"}

    def test_grade_5_maths_has_fractions_decimals_triangle_area_and_a_video(
        self, items: list[DemoItem]
    ) -> None:
        maths5 = [i for i in items if 5 in i.metadata["grades"] and "toan" in i.metadata["subjects"]]
        titles = " | ".join(i.metadata["title"] for i in maths5)
        for topic in ("Phân số", "Số thập phân", "Diện tích hình tam giác"):
            assert topic.lower() in titles.lower(), titles
        videos = [i for i in maths5 if i.metadata["type"] == "video-bai-giang"]
        assert [v.path.suffix for v in videos] == [".mp4"]
        assert len(maths5) >= 5

    def test_metadata_is_valid_against_the_schema_and_vocabularies(self, items: list[DemoItem]) -> None:
        vocabularies = load_vocabularies()
        for item in items:
            meta = item.metadata
            assert meta["level"] in vocabularies["level"].codes()
            assert meta["series"] in vocabularies["series"].codes()
            assert meta["type"] in vocabularies["resource-type"].codes()
            assert meta["language"] in vocabularies["language"].codes()
            assert meta["license"] in vocabularies["license"].codes()
            assert set(meta["subjects"]) <= set(vocabularies["subject"].codes())
            assert set(meta["audience"]) <= set(vocabularies["audience"].codes())
            assert {str(g) for g in meta["grades"]} <= set(vocabularies["grade"].codes())
            cleaned, warnings = check_metadata(meta)
            # No "subject not taught in this grade" warnings either: the demo should be exemplary.
            assert warnings == [], (item.path.name, warnings)
            assert cleaned["title"] == meta["title"]

    def test_items_are_fresh_copies(self, items: list[DemoItem]) -> None:
        items[0].metadata["keywords"].append("changed")
        assert "changed" not in demo_content.SPECS[0].metadata["keywords"]
        items[0].metadata["keywords"].pop()

    def test_every_text_is_nfc(self) -> None:
        for spec in demo_content.SPECS:
            strings = [
                *_strings(spec.metadata),
                *_strings(spec.blocks),
                *_strings([(s.title, s.lines) for s in spec.slides]),
                *_strings(spec.tables),
            ]
            for text in strings:
                assert text == nfc(text), (spec.filename, text)
        for labels in (demo_content.WATER_CYCLE_LABELS, demo_content.PHOTOSYNTHESIS_LABELS):
            assert all(v == nfc(v) for v in labels.values())

    def test_the_font_has_a_glyph_for_every_character_drawn(self) -> None:
        drawn = set()
        for spec in demo_content.SPECS:
            if spec.filename.endswith(".pdf"):
                drawn |= set("".join(text for _, text in spec.blocks) + spec.metadata["title"])
            drawn |= set("".join(s.title + "".join(s.lines) for s in spec.slides if spec.kind == "video"))
        drawn |= set("".join(demo_content.WATER_CYCLE_LABELS.values()))
        drawn |= set("".join(demo_content.PHOTOSYNTHESIS_LABELS.values()))
        drawn |= set("·Họcliuẫang0123456789/")
        for path in (FONT_REGULAR, FONT_BOLD):
            font = ImageFont.truetype(str(path), 32)

            def render(ch: str, font: ImageFont.FreeTypeFont = font) -> Image.Image:
                image = Image.new("L", (64, 64))
                from PIL import ImageDraw

                ImageDraw.Draw(image).text((8, 8), ch, font=font, fill=255)
                return image

            # A character the subset certainly lacks renders as the .notdef box.
            notdef = render("\ue000")
            missing = sorted(
                ch
                for ch in drawn
                if not ch.isspace() and ImageChops.difference(render(ch), notdef).getbbox() is None
            )
            assert missing == [], f"{path.name} lacks {missing}"


class TestDocuments:
    def test_pdf_text_layer_holds_the_vietnamese_we_wrote(self, items: list[DemoItem]) -> None:
        pdfs = _by_name(items, ".pdf")
        assert len(pdfs) >= 3
        for item in pdfs:
            document = pdfium.PdfDocument(item.path)
            try:
                assert len(document) >= 2, item.path.name
                pages = []
                for page in document:
                    textpage = page.get_textpage()
                    pages.append(textpage.get_text_range())
                    textpage.close()
                    page.close()
            finally:
                document.close()
            text = _squash(" ".join(pages))
            assert text == unicodedata.normalize("NFC", text)
            for kind, block in _spec(item).blocks:
                if kind in ("h1", "h2", "p", "li"):
                    assert _squash(block) in text, (item.path.name, block)
            assert f"Trang {len(pages)}/{len(pages)}" in text

    def test_phan_so_thap_phan_pdf_defines_the_term(self, items: list[DemoItem]) -> None:
        (item,) = [i for i in items if i.path.name == "toan-5-phan-so-thap-phan.pdf"]
        document = pdfium.PdfDocument(item.path)
        try:
            first = document[0].get_textpage().get_text_range()
        finally:
            document.close()
        assert "Các phân số có mẫu số là 10, 100, 1 000, … được gọi là phân số thập phân." in _squash(first)

    def test_docx_text_and_tables_read_back(self, items: list[DemoItem]) -> None:
        documents = _by_name(items, ".docx")
        assert len(documents) >= 3
        for item in documents:
            document = docx.Document(str(item.path))
            paragraphs = [p.text for p in document.paragraphs]
            cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
            spec = _spec(item)
            for kind, block in spec.blocks:
                if kind in ("h1", "h2", "p", "li"):
                    assert block in paragraphs, (item.path.name, block)
            for table in spec.tables:
                assert {c for row in table for c in row} <= set(cells)
            assert document.core_properties.title == item.metadata["title"]
        matrix = docx.Document(str(next(i.path for i in documents if "ma-tran" in i.path.name)))
        last_row = [c.text for c in matrix.tables[0].rows[-1].cells]
        assert last_row == ["Tổng điểm", "4,0", "3,0", "2,0", "1,0", "10"]

    def test_pptx_slides_read_back(self, items: list[DemoItem]) -> None:
        decks = _by_name(items, ".pptx")
        assert len(decks) >= 3
        for item in decks:
            deck = Presentation(str(item.path))
            spec = _spec(item)
            assert len(deck.slides) == len(spec.slides) >= 5
            for slide, expected in zip(deck.slides, spec.slides, strict=True):
                texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
                assert expected.title in texts
                body = "\n".join(texts)
                for line in expected.lines:
                    assert line in body, (item.path.name, line)

    def test_html_worksheets_are_valid_vietnamese_pages(self, items: list[DemoItem]) -> None:
        class Collector(HTMLParser):
            def __init__(self) -> None:
                super().__init__()
                self.text: list[str] = []
                self.lang = ""

            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                if tag == "html":
                    self.lang = dict(attrs).get("lang") or ""

            def handle_data(self, data: str) -> None:
                self.text.append(data)

        pages = _by_name(items, ".html")
        assert len(pages) >= 2
        for item in pages:
            parser = Collector()
            parser.feed(item.path.read_text(encoding="utf-8"))
            assert parser.lang == "vi"
            text = " ".join(parser.text)
            for kind, block in _spec(item).blocks:
                if kind in ("h1", "h2", "p", "li"):
                    assert block in text
        tones = next(i for i in pages if "thanh-dieu" in i.path.name).path.read_text(encoding="utf-8")
        for syllable in (
            "<td>ma</td>",
            "<td>mà</td>",
            "<td>má</td>",
            "<td>mả</td>",
            "<td>mã</td>",
            "<td>mạ</td>",
        ):
            assert syllable in tones

    def test_markdown_and_plain_text(self, items: list[DemoItem]) -> None:
        (markdown,) = _by_name(items, ".md")
        text = markdown.path.read_text(encoding="utf-8")
        assert text.startswith("# Đề kiểm tra 15 phút: Số thập phân\n")
        assert "- Câu 3. Số lớn nhất trong các số 0,9; 0,89; 0,909; 0,899" in text
        (plain,) = _by_name(items, ".txt")
        assert plain.metadata["language"] == "en"
        assert "This is my m_ther. She is a teacher." in plain.path.read_text(encoding="utf-8")


class TestMedia:
    def test_grade_5_video_is_h264_aac_and_decodes(self, items: list[DemoItem]) -> None:
        (video,) = _by_name(items, ".mp4")
        expected = sum(s.seconds for s in _spec(video).slides)
        assert 8 <= expected <= 15
        with av.open(str(video.path)) as container:
            assert container.duration is not None
            assert abs(container.duration / av.time_base - expected) < 0.3
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert (stream.codec_context.width, stream.codec_context.height) == (640, 360)
            assert container.streams.audio, "the video has no audio track"
            assert container.streams.audio[0].codec_context.name == "aac"
            frames = sum(1 for _ in container.decode(video=0))
        assert abs(frames - expected * 25) <= 2
        with av.open(str(video.path)) as container:
            audio_frames = sum(1 for _ in container.decode(audio=0))
        assert audio_frames > 100  # ~12 s of 1024-sample AAC frames at 44.1 kHz is ~520

    def test_audio_is_an_mp3_of_about_eight_seconds(self, items: list[DemoItem]) -> None:
        (audio,) = _by_name(items, ".mp3")
        with av.open(str(audio.path)) as container:
            stream = container.streams.audio[0]
            assert stream.codec_context.name in ("mp3", "mp3float")  # decoder names
            samples = sum(frame.samples for frame in container.decode(audio=0))
            rate = stream.codec_context.sample_rate
        assert abs(samples / rate - 8.0) < 0.2
        assert audio.metadata["type"] == "hoc-lieu-am-thanh"

    def test_images_open_with_the_expected_format(self, items: list[DemoItem]) -> None:
        for suffix, fmt in ((".png", "PNG"), (".jpg", "JPEG")):
            (image_item,) = _by_name(items, suffix)
            with Image.open(image_item.path) as image:
                assert image.format == fmt
                assert image.size == (1200, 800)
                # Not a blank canvas: a drawing has many colours.
                assert len(image.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 50
            assert image_item.metadata["type"] == "hinh-anh"


class TestReproducibility:
    def test_regenerating_gives_identical_bytes(self, items: list[DemoItem], tmp_path: Path) -> None:
        again = demo_items(tmp_path / "again")
        assert [i.path.name for i in again] == [i.path.name for i in items]
        for first, second in zip(items, again, strict=True):
            digest = hashlib.sha256(first.path.read_bytes()).hexdigest()
            assert digest == hashlib.sha256(second.path.read_bytes()).hexdigest(), first.path.name
        assert not list((tmp_path / "again").glob(".*.part"))


class TestErrors:
    def test_a_file_in_place_of_the_directory_is_a_clear_error(self, tmp_path: Path) -> None:
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("x")
        with pytest.raises(DemoGenerationError, match=r"cannot use .* as the demo directory"):
            demo_items(blocker)

    def test_ffmpeg_failure_carries_ffmpeg_message(self, tmp_path: Path) -> None:
        with pytest.raises(DemoGenerationError, match=r"ffmpeg failed \(\d+\):.*missing\.wav"):
            _run_ffmpeg(["-i", str(tmp_path / "missing.wav"), str(tmp_path / "out.mp3")])
