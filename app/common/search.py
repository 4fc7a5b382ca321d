"""Search in lists: case-insensitive containment with LIKE's wildcards taken literally."""
from __future__ import annotations


def contains(column, text: str):
    """`column` holds `text`, case-insensitively (what a person types, so % and _ mean themselves)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")
