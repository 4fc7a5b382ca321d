"""A table that changes with a migration or an admin's rare edit, read again at most every `seconds` (each process
keeps its copy; `forget` makes the next read fresh, for the process that changed it)."""
from __future__ import annotations

import threading
import time
from typing import Callable, Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class CachedRead(Generic[T]):
    def __init__(self, read: Callable[[Session], T], seconds: float = 60.0):
        self._read, self._seconds = read, seconds
        self._value: T | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> T:
        if self._value is None or time.monotonic() - self._read_at > self._seconds:
            fresh = self._read(session)
            with self._lock:
                self._value, self._read_at = fresh, time.monotonic()
        return self._value

    def forget(self) -> None:
        self._read_at = 0.0
