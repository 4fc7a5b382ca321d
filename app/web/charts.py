"""Small charts drawn on the server as SVG (no script, no outside asset): horizontal bars with their values."""
from __future__ import annotations

from xml.sax.saxutils import escape

BAR = 22
GAP = 8
LABEL_WIDTH = 150
WIDTH = 520


def bars(rows: list[tuple[str, float | None, str]], *, unit: str, colour: str = "#1565c0",
         marker: float | None = None, marker_label: str = "") -> str:
    """One bar per (label, value, note); `marker` draws a reference line (a time limit, a target)."""
    shown = [(label, value, note) for label, value, note in rows if value is not None]
    if not shown:
        return '<p class="muted">本期没有可统计的数据。</p>'
    top = max([v for _, v, _ in shown] + ([marker] if marker else [])) or 1
    span = WIDTH - LABEL_WIDTH - 160  # room on the right for the value and its note
    height = len(shown) * (BAR + GAP) + GAP + (18 if marker else 0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'role="img" font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif" font-size="15">']
    for i, (label, value, note) in enumerate(shown):
        y = GAP + i * (BAR + GAP)
        w = max(2.0, span * value / top)
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR / 2}" text-anchor="end" dominant-baseline="middle">'
                     f'{escape(label[:9])}</text><rect x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" height="{BAR}" '
                     f'rx="3" fill="{colour}"><title>{escape(label)}：{value:g} {escape(unit)} {escape(note)}</title>'
                     f'</rect><text x="{LABEL_WIDTH + w + 6:.1f}" y="{y + BAR / 2}" dominant-baseline="middle">'
                     f'{value:g} {escape(unit)} {escape(note)}</text>')
    if marker:
        x = LABEL_WIDTH + span * marker / top
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 16}" stroke="#c62828" stroke-dasharray="4 3"/>'
                     f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" fill="#c62828" font-size="11">'
                     f'{escape(marker_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
