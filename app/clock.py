"""The one clock: everything that stamps or compares times asks here (tests move it)."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)
