"""Errors as values a user can act on; one handler turns each into its HTTP status with {"detail": ...}."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError


class BatonError(Exception):
    status_code = 400

    def __init__(self, detail: Any):
        super().__init__(detail if isinstance(detail, str) else repr(detail))
        self.detail = detail


class NotFound(BatonError):
    status_code = 404


class Forbidden(BatonError):
    status_code = 403


class Unauthorized(BatonError):
    status_code = 401


class Conflict(BatonError):
    status_code = 409


class TooLarge(BatonError):
    status_code = 413


class TooManyRequests(BatonError):
    """429: `retry_after` seconds until the caller may try again."""

    status_code = 429

    def __init__(self, detail: Any, retry_after: int):
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(BatonError):
    """503: the database or the engine was busy for longer than a request may wait; retrying soon works."""

    status_code = 503
    retry_after = 2


class Invalid(BatonError):
    """422: `detail` is a message or a list of {"loc"/"file", ..., "msg"/"message"} naming the field or element."""

    status_code = 422


class ErrorOut(BaseModel):
    """Every error: a message, or a list naming each field (`loc`, `msg`) or BPMN element (`file`, `element_id`,
    `message`)."""

    detail: str | list[dict[str, Any]]


# Declared on every API route, so clients (and the fuzzer) know each answer they can get.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description} for status, description in {
        400: "the request could not be read", 401: "not signed in, or the session ended",
        403: "signed in, but not allowed to do this", 404: "no such thing (or not yours to see)",
        409: "conflicts with the current state (taken, stale, wrong state)", 413: "the request is too large",
        422: "invalid: each problem names its field or BPMN element", 429: "too many attempts; see Retry-After",
        503: "busy; try again after Retry-After",
    }.items()}


# PostgreSQL: lock_not_available, deadlock_detected, serialization_failure, query_canceled (statement timeout).
_BUSY_SQLSTATES = {"55P03", "40P01", "40001", "57014"}


def is_busy(exc: OperationalError) -> bool:
    """A wait for a lock ran out (SQLite's busy timeout, a PostgreSQL lock or statement timeout), or a pooled
    connection the database had dropped failed (it is replaced): retrying works."""
    original = getattr(exc, "orig", None)
    return ("database is locked" in str(original) or getattr(original, "sqlstate", None) in _BUSY_SQLSTATES
            or bool(getattr(exc, "connection_invalidated", False)))


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Field and message only: echoing the input back fails on text that cannot be encoded (lone surrogates).
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(OperationalError)
    async def _database_busy(_request: Request, exc: OperationalError) -> JSONResponse:
        if not is_busy(exc):
            raise exc
        return JSONResponse(status_code=503, headers={"Retry-After": str(ServiceUnavailable.retry_after)},
                            content={"detail": "the database is busy with other requests; try again in a moment "
                                               "(数据库繁忙，请稍后重试)"})

    @app.exception_handler(BatonError)
    async def _baton_error(_request: Request, exc: BatonError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else {}
        if isinstance(exc, (TooManyRequests, ServiceUnavailable)):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=headers or None)
