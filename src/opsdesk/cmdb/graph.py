"""The dependency graph of a CI page, drawn on the server as SVG (no script, no CDN).

Columns read left to right in the direction of dependency: what needs the CI on the left, the CI
in the middle, what it needs on the right, two hops each way. Each node links to its CI page.
"""

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from opsdesk.cmdb.impact import walk

HOPS = 2
PER_COLUMN = 12
# The gap between columns (COL_WIDTH - NODE_WIDTH) must hold the longest relationship label
# ("backed up by", about 60 px at 10 px, with room for its halo) or the label runs under the nodes.
COL_WIDTH, NODE_WIDTH, NODE_HEIGHT, ROW_HEIGHT, MARGIN = 310, 180, 40, 54, 16


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def dependency_graph(ci) -> SafeString:
    upward = walk(ci, upwards=True, max_depth=HOPS)
    downward = walk(ci, upwards=False, max_depth=HOPS)
    columns: dict[int, list] = {0: [upward.start]}
    edges = []  # (from column, from node id, to column, to node id, label)
    hidden: dict[int, int] = {}
    for sign, result in ((-1, upward), (1, downward)):
        for item in result.items:
            column = sign * item.depth
            nodes = columns.setdefault(column, [])
            if len(nodes) >= PER_COLUMN:
                hidden[column] = hidden.get(column, 0) + 1
                continue
            nodes.append(item.ci)
            parent = item.path[-2]
            edges.append((column - sign, parent.id, column, item.ci.id, item.hops[-1].label))
    left = min(columns)
    rows = max(len(n) + (1 if c in hidden else 0) for c, n in columns.items())
    width = (max(columns) - left) * COL_WIDTH + NODE_WIDTH + 2 * MARGIN
    height = rows * ROW_HEIGHT + 2 * MARGIN
    position = {}
    for column, nodes in columns.items():
        for row, node in enumerate(nodes):
            x = MARGIN + (column - left) * COL_WIDTH
            y = MARGIN + row * ROW_HEIGHT
            position[(column, node.id)] = (x, y)

    parts = [
        f'<svg class="ci-graph" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Dependency graph of {escape(upward.start.name)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'class="ci-graph-arrow"/></marker></defs>',
    ]
    for from_col, from_id, to_col, to_id, label in edges:
        # Arrows point from the dependent CI to what it needs, whatever the column order.
        a, b = position[(from_col, from_id)], position[(to_col, to_id)]
        (x1, y1), (x2, y2) = (a, b) if from_col < to_col else (b, a)
        x1, y1, x2, y2 = x1 + NODE_WIDTH, y1 + NODE_HEIGHT / 2, x2, y2 + NODE_HEIGHT / 2
        parts.append(
            f'<g class="ci-graph-edge"><title>{escape(label)}</title>'
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" marker-end="url(#arrow)"/>'
            f'<text x="{(x1 + x2) / 2}" y="{(y1 + y2) / 2 - 4}" text-anchor="middle">'
            f"{escape(label)}</text></g>"
        )
    for (column, node_id), (x, y) in position.items():
        node = next(n for n in columns[column] if n.id == node_id)
        css = "ci-graph-node focus" if column == 0 else "ci-graph-node"
        if node.class_key == "business_service":
            css += " service"
        href = reverse("cmdb:ci-detail", args=[node.id])
        parts.append(
            f'<a href="{href}" class="{css}"><title>{escape(node.name)} '
            f"({escape(node.class_name)})</title>"
            f'<rect x="{x}" y="{y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6"/>'
            f'<text x="{x + 8}" y="{y + 17}" class="name">{escape(_short(node.name))}</text>'
            f'<text x="{x + 8}" y="{y + 32}" class="class">{escape(node.class_name)}</text></a>'
        )
    for column, count in hidden.items():
        x = MARGIN + (column - left) * COL_WIDTH
        y = MARGIN + len(columns[column]) * ROW_HEIGHT + 20
        parts.append(f'<text x="{x + 8}" y="{y}" class="ci-graph-more">+{count} more</text>')
    parts.append("</svg>")
    # Safe: every piece of text interpolated above went through escape().
    return mark_safe("".join(parts))
