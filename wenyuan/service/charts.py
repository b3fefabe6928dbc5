"""Charts drawn on the server as SVG: no script, nothing inline for the CSP to refuse
(SVG presentation attributes, not style attributes), readable without JavaScript.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 560, 180, 40, 24, 12
COLOR = "#b4282d"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return value


def bars(
    series: list[tuple[str, float]], *, title: str, color: str = COLOR, unit: str = ""
) -> SafeString:
    """A vertical bar chart of ``series`` [(label, value)]; every few labels shown."""
    top = _nice_max(max((v for _l, v in series), default=0))
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    n = max(len(series), 1)
    slot = inner_w / n
    every = max(1, round(n / 6))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        y = PAD_TOP + inner_h - inner_h * i / 4
        value = top * i / 4
        label = f"{value:g}"
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e8ec"/>'
            f'<text x="{PAD_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#5f6b7a">{label}</text>'
        )
    for i, (label, value) in enumerate(series):
        h = max(inner_h * (value / top), 0) if top else 0  # a negative day: no bar, its title
        x = PAD_LEFT + i * slot + slot * 0.15
        y = PAD_TOP + inner_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{escape(label)}: {value:g}{escape(unit)}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                f'font-size="10" fill="#5f6b7a">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def hbars(series: list[tuple[str, float]], *, title: str, color: str = COLOR) -> SafeString:
    """Horizontal bars, one row per label (distributions: ratings, queue age)."""
    row, label_w, width = 24, 90, WIDTH
    height = row * max(len(series), 1) + 8
    top = max((v for _l, v in series), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(series):
        y = 4 + i * row
        w = (width - label_w - 60) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#1f2933">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{color}" rx="3"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="12" fill="#5f6b7a">{value:g}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
