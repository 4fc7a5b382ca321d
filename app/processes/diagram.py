"""A process as a picture: its BPMN diagram (BPMN DI: each shape's bounds, each flow's waypoints) drawn as SVG on
the server, with the elements an application has completed, is working on, or is late on marked, and a legend.
No script and no outside asset: the page shows it as it is."""
from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
OMG_DI = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# The marks, worst last: one element run several times (a multi-instance, a return) shows its worst.
MARKS = {"completed": ("已完成", "#e3f4e6", "#2e7d32"), "active": ("办理中", "#e3eefc", "#1565c0"),
         "overdue": ("已超期", "#fde7e7", "#c62828")}
_RANK = {name: i for i, name in enumerate(MARKS)}
_PLAIN = ("#ffffff", "#5f6b7a")
_LEGEND_HEIGHT = 40


@dataclass
class Shape:
    element: str
    kind: str
    name: str
    x: float
    y: float
    w: float
    h: float


def _attr(value: str) -> str:
    """A value inside an attribute's quotes (a model's ids are not trusted to be NCNames)."""
    return escape(value, {'"': "&quot;", "'": "&#39;"})


def worst(marks: dict[str, str], element: str, mark: str) -> None:
    """Record `mark` for `element` unless it already has a worse one."""
    if element not in marks or _RANK[mark] > _RANK[marks[element]]:
        marks[element] = mark


def _parse(xml: bytes):
    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))


def stages(xml: bytes, process_id: str) -> list[tuple[str, str]]:
    """The process's stages (each task's `stage` / `stage_name` properties) in the order the model lists them."""
    root = _parse(xml)
    out: dict[str, str] = {}
    for process in root.iter(f"{{{BPMN}}}process"):
        if process.get("id") != process_id:
            continue
        for props in process.iter(f"{{{SPIFF}}}properties"):
            values = {p.get("name"): p.get("value") for p in props.iter(f"{{{SPIFF}}}property")}
            if values.get("stage"):
                out.setdefault(values["stage"], values.get("stage_name") or values["stage"])
    return list(out.items())


def _kinds(root) -> dict[str, tuple[str, str]]:
    """Every semantic element's kind (its tag) and name, by id."""
    out = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN}}}") and el.get("id"):
            out[el.get("id")] = (etree.QName(el).localname, el.get("name") or "")
    return out


def _text_lines(text: str, width: float, size: float) -> list[str]:
    lines, line, used = [], "", 0.0
    for ch in text:
        w = size if ord(ch) > 0x2E80 else size * 0.6
        if used + w > width and line:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += w
    if line:
        lines.append(line)
    return lines[:4]


SCALE = 0.75  # drawn at three quarters of the model's size: the whole width of a lane fits a screen or two
TEXT = 15


def _label(x: float, y: float, text: str, width: float, size: float = TEXT, anchor: str = "middle") -> str:
    lines = _text_lines(text, width, size)
    top = y - (len(lines) - 1) * size * 0.6
    return "".join(f'<text x="{x:.0f}" y="{top + i * size * 1.2:.0f}" font-size="{size:.0f}" text-anchor="{anchor}" '
                   f'dominant-baseline="middle">{escape(line)}</text>' for i, line in enumerate(lines))


def _shape_svg(s: Shape, mark: str | None) -> str:
    fill, stroke = (MARKS[mark][1], MARKS[mark][2]) if mark else _PLAIN
    width = 3 if mark in ("active", "overdue") else 1.5
    cx, cy = s.x + s.w / 2, s.y + s.h / 2
    title = f"<title>{escape(s.name or s.element)}{'：' + MARKS[mark][0] if mark else ''}</title>"
    attrs = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
    if s.kind in ("participant", "lane"):
        return (f'<g class="pool">{title}<rect x="{s.x}" y="{s.y}" width="{s.w}" height="{s.h}" fill="none" '
                f'stroke="#9aa5b1"/><line x1="{s.x + 30}" y1="{s.y}" x2="{s.x + 30}" y2="{s.y + s.h}" stroke="#9aa5b1"/>'
                f'<g transform="rotate(-90 {s.x + 15} {cy})">{_label(s.x + 15, cy, s.name, s.h - 10, 16)}</g></g>')
    if s.kind.endswith("Event"):
        r = min(s.w, s.h) / 2
        ring = 4 if s.kind == "endEvent" else 1.5
        return (f'<g class="element" id="el-{_attr(s.element)}" data-element="{_attr(s.element)}" data-mark="{mark or ""}">{title}'
                f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{fill}" stroke="{stroke}" stroke-width="{max(ring, width)}"/>'
                f'{_label(cx, s.y + s.h + 16, s.name, 130, 13)}</g>')
    if s.kind.endswith("Gateway"):
        sign = {"exclusiveGateway": "×", "parallelGateway": "+", "inclusiveGateway": "○", "eventBasedGateway": "◇"}
        points = f"{cx},{s.y} {s.x + s.w},{cy} {cx},{s.y + s.h} {s.x},{cy}"
        return (f'<g class="element" id="el-{_attr(s.element)}" data-element="{_attr(s.element)}" data-mark="{mark or ""}">{title}'
                f'<polygon points="{points}" {attrs}/><text x="{cx}" y="{cy}" font-size="20" text-anchor="middle" '
                f'dominant-baseline="middle" fill="{stroke}">{sign.get(s.kind, "")}</text>'
                f'{_label(cx, s.y + s.h + 16, s.name, 150, 13)}</g>')
    if s.kind in ("dataObjectReference", "dataStoreReference", "textAnnotation", "group"):
        return ""
    return (f'<g class="element" id="el-{_attr(s.element)}" data-element="{_attr(s.element)}" data-mark="{mark or ""}">{title}'
            f'<rect x="{s.x}" y="{s.y}" width="{s.w}" height="{s.h}" rx="10" {attrs}/>'
            f'{_label(cx, cy, s.name, s.w - 10)}</g>')


def svg(xml: bytes, process_id: str, marks: dict[str, str] | None = None,
        lane_names: dict[str, str] | None = None) -> str | None:
    """The SVG of the diagram showing `process_id` (None when the file has no diagram for it); lanes named by a
    department's code read as the department's name."""
    marks, lane_names = marks or {}, lane_names or {}
    root = _parse(xml)
    kinds = _kinds(root)
    pools = {c.get("id") for c in root.iter(f"{{{BPMN}}}collaboration")
             if any(p.get("processRef") == process_id for p in c.iter(f"{{{BPMN}}}participant"))}
    plane = next((p for p in root.iter(f"{{{DI}}}BPMNPlane") if p.get("bpmnElement") in {process_id, *pools}), None)
    if plane is None:
        return None
    shapes, edges = [], []
    for el in plane.iter(f"{{{DI}}}BPMNShape"):
        ref, bounds = el.get("bpmnElement"), el.find(f"{{{DC}}}Bounds")
        if bounds is None or ref not in kinds:
            continue
        kind, name = kinds[ref]
        if kind == "lane":
            name = lane_names.get(name, name)
        shapes.append(Shape(ref, kind, name, *(float(bounds.get(k, 0)) for k in ("x", "y", "width", "height"))))
    for el in plane.iter(f"{{{DI}}}BPMNEdge"):
        points = [(float(p.get("x", 0)), float(p.get("y", 0))) for p in el.iter(f"{{{OMG_DI}}}waypoint")]
        if len(points) >= 2:
            edges.append((el.get("bpmnElement"), points))
    if not shapes:
        return None
    if marks:  # an application is under way: it has passed its start
        marks = {**{s.element: "completed" for s in shapes if s.kind == "startEvent"}, **marks}
    left = min(s.x for s in shapes) - 20
    top = min(s.y for s in shapes) - 20
    right = max(max(s.x + s.w for s in shapes), max((x for _, ps in edges for x, _ in ps), default=0)) + 20
    bottom = max(s.y + s.h for s in shapes) + 40
    width, height = right - left, bottom - top + _LEGEND_HEIGHT
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn" viewBox="{left:.0f} {top:.0f} {width:.0f} '
             f'{height:.0f}" width="{width * SCALE:.0f}" height="{height * SCALE:.0f}" role="img" aria-label="流程图" '
             f'font-family="Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#5f6b7a"/></marker></defs>',
             f'<rect x="{left:.0f}" y="{top:.0f}" width="{width:.0f}" height="{height:.0f}" fill="#fbfcfd"/>']
    parts += [_shape_svg(s, None) for s in shapes if s.kind in ("participant", "lane")]
    for ref, points in edges:
        path = " ".join(f"{x:.0f},{y:.0f}" for x, y in points)
        name = kinds.get(ref, ("", ""))[1]
        parts.append(f'<polyline points="{path}" fill="none" stroke="#5f6b7a" stroke-width="1.3" marker-end="url(#arrow)"/>')
        if name:
            (x1, y1), (x2, y2) = points[0], points[1]
            parts.append(_label((x1 + x2) / 2, (y1 + y2) / 2 - 10, name, 160, 13))
    parts += [_shape_svg(s, marks.get(s.element)) for s in shapes if s.kind not in ("participant", "lane")]
    y = bottom - 10
    x = left + 20
    parts.append(f'<g class="legend"><text x="{x}" y="{y + 14}" font-size="13" dominant-baseline="middle">图例：</text>')
    for i, (label, fill, stroke) in enumerate(MARKS.values()):
        lx = x + 60 + i * 120
        parts.append(f'<rect x="{lx}" y="{y + 4}" width="28" height="20" rx="5" fill="{fill}" stroke="{stroke}" '
                     f'stroke-width="3"/><text x="{lx + 36}" y="{y + 14}" font-size="13" dominant-baseline="middle">'
                     f'{label}</text>')
    lx = x + 60 + len(MARKS) * 120
    parts.append(f'<rect x="{lx}" y="{y + 4}" width="28" height="20" rx="5" fill="{_PLAIN[0]}" stroke="{_PLAIN[1]}"/>'
                 f'<text x="{lx + 36}" y="{y + 14}" font-size="13" dominant-baseline="middle">未到达</text></g>')
    parts.append("</svg>")
    return "".join(parts)
