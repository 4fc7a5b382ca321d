"""Database engine, sessions and column types shared by every domain's tables."""
from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import JSON, DateTime, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


def make_engine(url: str, busy_seconds: float = 10.0) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_seconds})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Commands take the one writer's lock at the start: the SQLite stand-in for locking the instance row.
            # Reads begin deferred and, in WAL mode, never wait for a writer.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("baton_read_only") else "BEGIN IMMEDIATE")

        return engine
    # No pre-ping (a round trip before every transaction): a connection the server dropped fails its request once,
    # answered 503 with Retry-After (app.errors), and is replaced.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800)


@contextmanager
def _closing(factory) -> Iterator[Session]:
    session = factory()
    try:
        yield session
    finally:
        session.close()  # ends the transaction; what was loaded stays readable


class Database:
    """One engine and its session factory; the app, the worker and the CLI each hold one."""

    def __init__(self, url: str, busy_seconds: float = 10.0):
        self.url = url
        self.engine = make_engine(url, busy_seconds)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.engine.execution_options(baton_read_only=True), expire_on_commit=False)
        # One statement needs no transaction around it: on PostgreSQL that saves the BEGIN and ROLLBACK round trips.
        self.lookup_sessions = (sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                                             expire_on_commit=False) if self.is_postgres else self.read_sessions)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def read(self) -> AbstractContextManager[Session]:
        """A query: a consistent snapshot that writes nothing (on SQLite it does not queue behind commands)."""
        return _closing(self.read_sessions)

    def lookup(self) -> AbstractContextManager[Session]:
        """A read of one statement (who is calling, one task): no snapshot to keep, so no transaction around it."""
        return _closing(self.lookup_sessions)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One command, one transaction: commit on success, roll everything back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def utcnow_column_default() -> datetime:
    from app.clock import now

    return now()
