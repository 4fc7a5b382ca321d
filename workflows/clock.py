"""The one clock. Everything that stamps or compares times asks it — the engine's timers included (workflows.timers
reads it; the sandbox sets it to the server's moment with every command) — so a test freezes or advances time for
the whole service at once. Always timezone-aware UTC; the machine's own zone is never read."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    """Real time, or frozen, or moved by an offset: the same object for the app and the engine room."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        frozen = self._frozen
        return frozen if frozen is not None else datetime.now(timezone.utc) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward (tests, and an operator replaying a day; never the service itself)."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta

    def freeze(self, moment: datetime | None = None) -> None:
        """Stop time at `moment` (default: now) until `advance`, `follow` or `reset`."""
        with self._lock:
            self._frozen = (moment or self.now()).astimezone(timezone.utc)

    def follow(self, moment: datetime) -> None:
        """Run on from `moment` (the engine process takes the server's clock with every command)."""
        with self._lock:
            self._frozen = None
            self._offset = moment.astimezone(timezone.utc) - datetime.now(timezone.utc)

    def reset(self) -> None:
        with self._lock:
            self._frozen, self._offset = None, timedelta(0)


CLOCK = Clock()


def now() -> datetime:
    return CLOCK.now()


advance = CLOCK.advance
freeze = CLOCK.freeze
follow = CLOCK.follow
reset = CLOCK.reset
