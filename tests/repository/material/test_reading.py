
"""Markdown worksheets rendered for the portal: what a hostile worksheet tries stays text."""

from __future__ import annotations

from repository.material.reading import render_markdown


class TestRenderMarkdown:
    def test_headings_lists_and_tables_render(self) -> None:
        out = render_markdown("# Đề kiểm tra\n\n1. Câu 1\n2. Câu 2\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
        assert "<h1>Đề kiểm tra</h1>" in out
        assert "<ol>" in out and "<li>Câu 1</li>" in out
        assert "<table>" in out and "<td>1</td>" in out
        assert "#" not in out

    def test_raw_html_scripts_and_event_handlers_stay_text(self) -> None:
        out = render_markdown(
            '<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n<b onclick=x>b</b>'
        )
        assert "<script" not in out and "<img" not in out and "<b " not in out
        assert "&lt;script&gt;" in out

    def test_dangerous_links_are_not_links_and_images_are_their_text(self) -> None:
        out = render_markdown(
            "[a](javascript:alert(1)) [b](vbscript:x) [c](data:text/html;base64,PHNjcmlwdD4=) "
            '[d](https://vi.wikipedia.org "t") ![ảnh <x>](http://tracker.example/p.png)'
        )
        assert "javascript:" not in out.split("[a]")[0] and 'href="javascript' not in out
        assert 'href="vbscript' not in out and 'href="data:' not in out
        assert '<a href="https://vi.wikipedia.org" title="t">d</a>' in out
        assert "<img" not in out and "tracker.example" not in out and "ảnh &lt;x&gt;" in out
