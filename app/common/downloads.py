"""A download's Content-Disposition: its name in any script (RFC 6266/5987), with a plain one for old clients."""
from __future__ import annotations

from urllib.parse import quote


def attachment(name: str, ascii_name: str) -> str:
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
