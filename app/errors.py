"""Errors as values a user can act on; one handler turns each into its HTTP status with {"detail": ...}."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


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


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Field and message only: echoing the input back fails on text that cannot be encoded (lone surrogates).
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(BatonError)
    async def _baton_error(_request: Request, exc: BatonError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else {}
        if isinstance(exc, (TooManyRequests, ServiceUnavailable)):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=headers or None)
