"""Text a database can store: no NUL (PostgreSQL refuses it) and no lone surrogate (UTF-8 cannot encode it)."""
from __future__ import annotations

from typing import Any


def unstorable_char(text: str) -> str | None:
    """The first character of `text` that no database here can store, or None."""
    if "\x00" in text:
        return "\x00"
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as exc:
        return text[exc.start]


def first_unstorable(value: Any) -> str | None:
    """The first unstorable character anywhere in a JSON value (keys included), or None."""
    if isinstance(value, str):
        return unstorable_char(value)
    if isinstance(value, dict):
        for key, item in value.items():
            found = unstorable_char(str(key)) or first_unstorable(item)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = first_unstorable(item)
            if found:
                return found
    return None
