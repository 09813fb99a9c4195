"""Bar charts drawn as inline SVG on the server: no script, no CDN, readable by screen readers."""
from markupsafe import Markup, escape

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 220
CHART_WIDTH = 480
# Bars take the page's accent colour; text stays the page's ink for contrast in both themes.
BAR_COLOUR = "#1f5fbf"


def bar_chart(counts: dict, title: str) -> Markup:
    """Draw one horizontal bar per (label, number), the longest bar for the largest number."""
    if not counts:
        return Markup(f'<p class="empty">No data for “{escape(title)}” in this period.</p>')
    top = max(counts.values()) or 1
    bar_space = CHART_WIDTH - LABEL_WIDTH - 60
    height = len(counts) * (BAR_HEIGHT + GAP)
    summary = ", ".join(f"{label}: {n}" for label, n in counts.items())
    parts = [f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
             f'aria-label="{escape(title)}: {escape(summary)}" preserveAspectRatio="xMinYMin meet">',
             f"<title>{escape(title)}</title>"]
    for row, (label, n) in enumerate(counts.items()):
        y = row * (BAR_HEIGHT + GAP)
        width = max(2, round(bar_space * n / top))
        text_y = y + BAR_HEIGHT * 0.7
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {n}</title></rect>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{text_y}">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
