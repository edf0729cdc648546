"""Server-rendered SVG charts: readable without JavaScript, a few hundred bytes gzipped.

Each chart is an inline ``<svg role="img">`` whose ``<title>`` says what it shows; every bar has
its own ``<title>`` (the exact number, shown on hover and read by screen readers), and the page
puts the same numbers in a table beside it. Only presentation attributes and classes from
``portal.css`` are used (the CSP allows no inline style), and every text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BAR_GAP = 2


def _nice_max(value: int) -> int:
    """The axis top: ``value`` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def columns(
    points: Sequence[tuple[str, int]],
    *,
    title: str,
    number: Callable[[int], str] = str,
    width: int = 480,
    height: int = 150,
    every: int = 7,
) -> Markup:
    """Vertical bars, one per point (e.g. per day), a label under every ``every``-th bar.

    ``number`` formats a count for the page's language (``web.portal.i18n.format_number``).
    """
    fmt = number
    top = _nice_max(max((v for _, v in points), default=0))
    left, plot_h = 30, height - 30
    n = max(len(points), 1)
    bar_w = max((width - left) / n - BAR_GAP, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line class="chart-axis" x1="{left}" y1="{8 + plot_h}" x2="{width}" y2="{8 + plot_h}"/>',
        f'<text class="chart-tick" x="{left - 4}" y="18" text-anchor="end">{escape(fmt(top))}</text>',
        f'<text class="chart-tick" x="{left - 4}" y="{8 + plot_h}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(points):
        h = round(plot_h * value / top, 1)
        x = round(left + i * (bar_w + BAR_GAP), 1)
        parts.append(
            f'<rect class="chart-bar" x="{x}" y="{round(8 + plot_h - h, 1)}" width="{round(bar_w, 1)}" '
            f'height="{h}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
        )
        last = i == len(points) - 1
        # Every ``every``-th day and the last, unless that one would overlap the last's label.
        if last or (i % every == 0 and len(points) - 1 - i >= every / 2):
            anchor, tx = ("end", x + bar_w) if last else ("middle", x + bar_w / 2)
            parts.append(
                f'<text class="chart-tick" x="{round(tx, 1)}" y="{height - 4}" '
                f'text-anchor="{anchor}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(
    rows: Sequence[tuple[str, int]],
    *,
    title: str,
    number: Callable[[int], str] = str,
    width: int = 480,
    row_h: int = 22,
) -> Markup:
    """Horizontal bars with their label and number (e.g. views per grade), largest first as given."""
    fmt = number
    top = max((v for _, v in rows), default=0) or 1
    label_w, value_w = 130, 50
    plot_w = width - label_w - value_w
    height = row_h * max(len(rows), 1) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(rows):
        y = 2 + i * row_h
        w = round(plot_w * value / top, 1)
        parts.append(
            f'<text class="chart-tick" x="{label_w - 6}" y="{y + row_h - 8}" text-anchor="end">'
            f"{escape(label[:20])}</text>"
            f'<rect class="chart-bar" x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
            f'<text class="chart-tick" x="{label_w + w + 4}" y="{y + row_h - 8}">{escape(fmt(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
