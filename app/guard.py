"""The request guard, in front of everything (pure ASGI): bounded bodies, text a database can store, safe headers.

- A body larger than its route's limit is refused with 413 while it is read (at once when Content-Length says so),
  before authentication and parsing; an anonymous write to the API is refused with 401 before its body is read.
- Every string that enters — JSON keys and values, form fields, query parameters, the path — is refused with 422
  naming the field when it holds a NUL or a lone surrogate (PostgreSQL cannot store the one, UTF-8 not the other),
  or when JSON is nested deeper than any form needs.
- Every response says nosniff, may not be framed, and sends no referrer.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException

from workflows.text import unstorable_char as bad_char

MAX_JSON_DEPTH = 32
MAX_PROBLEMS = 20
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
]


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes its limit (FastAPI lets HTTPExceptions through as they are)."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=_too_large(limit))


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit:,} bytes; 请求内容超过 {limit:,} 字节上限"


def _describe(char: str) -> str:
    if char == "\x00":
        return "a NUL character (U+0000) / 含有空字符 U+0000"
    return f"a lone surrogate (U+{ord(char):04X}, half of a UTF-16 pair) / 含有无效的代理字符 U+{ord(char):04X}"


def text_problems(value: Any, loc: list, problems: list[dict], depth: int = 0) -> list[dict]:
    """Every string (and key) in a JSON value that cannot be stored, and nesting beyond MAX_JSON_DEPTH, by field."""
    if len(problems) >= MAX_PROBLEMS:
        return problems
    if depth > MAX_JSON_DEPTH:
        problems.append({"loc": loc, "msg": f"nested deeper than {MAX_JSON_DEPTH} levels / 嵌套超过 {MAX_JSON_DEPTH} 层",
                         "type": "too_deep"})
        return problems
    if isinstance(value, str):
        char = bad_char(value)
        if char is not None:
            problems.append({"loc": loc, "msg": f"text holds {_describe(char)}, which cannot be stored; remove it",
                             "type": "unstorable_text"})
    elif isinstance(value, dict):
        for key, item in value.items():
            char = bad_char(key)
            if char is not None:
                problems.append({"loc": [*loc, key.encode("utf-8", "backslashreplace").decode()],
                                 "msg": f"the field name holds {_describe(char)}, which cannot be stored",
                                 "type": "unstorable_text"})
            else:
                text_problems(item, [*loc, key], problems, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            text_problems(item, [*loc, index], problems, depth + 1)
    return problems


@dataclass(frozen=True)
class BodyLimits:
    default: int
    by_route: dict[tuple[str, str], int]  # (method, path) -> bytes
    by_pattern: tuple[tuple[str, re.Pattern, int], ...] = ()  # (method, path pattern, bytes): the pages' uploads

    def for_request(self, method: str, path: str) -> int:
        path = path.rstrip("/")
        if (method, path) in self.by_route:
            return self.by_route[(method, path)]
        return next((limit for m, pattern, limit in self.by_pattern if m == method and pattern.fullmatch(path)),
                    self.default)


Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class RequestGuard:
    def __init__(self, app, *, limits: BodyLimits, api_prefix: str = "/api/v1",
                 public_writes: tuple[str, ...] = ("/auth/token",)):
        self.app = app
        self.limits = limits
        self.api_prefix = api_prefix
        self.public_writes = {api_prefix + p for p in public_writes}

    async def __call__(self, scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        method, path = scope["method"], scope["path"]
        page = not path.startswith(self.api_prefix + "/") and path not in ("/openapi.json", "/metrics") \
            and not path.startswith("/docs")
        problems = self._path_and_query_problems(scope)
        if problems:
            await _respond(send, 422, {"detail": problems}, page=page)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if (method in ("POST", "PUT", "PATCH", "DELETE") and path.startswith(self.api_prefix + "/")
                and path.rstrip("/") not in self.public_writes
                and b"authorization" not in headers and b"cookie" not in headers):
            await _respond(send, 401, {"detail": "not signed in: get a token from POST /api/v1/auth/token"},
                           [(b"www-authenticate", b"Bearer")])
            return
        limit = self.limits.for_request(method, path)
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    await _respond(send, 413, {"detail": _too_large(limit)}, page=page)
                    return
            except ValueError:
                await _respond(send, 400, {"detail": "Content-Length is not a number"}, page=page)
                return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type in (b"application/json", b"application/x-www-form-urlencoded") or content_type.endswith(b"+json"):
            body = await _read_body(receive, limit)
            if body is None:
                await _respond(send, 413, {"detail": _too_large(limit)}, page=page)
                return
            problems = _body_problems(content_type, body)
            if problems:
                await _respond(send, 422, {"detail": problems}, page=page)
                return
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            await self.app(scope, _counting(receive, limit), send)
        except BodyTooLarge:
            await _respond(send, 413, {"detail": _too_large(limit)}, page=page)

    @staticmethod
    def _path_and_query_problems(scope) -> list[dict]:
        problems = []
        char = bad_char(scope.get("path", ""))
        if char is not None:
            problems.append({"loc": ["path"], "msg": f"the address holds {_describe(char)}", "type": "unstorable_text"})
        query = scope.get("query_string", b"").decode("latin-1")
        for key, value in parse_qsl(query, keep_blank_values=True):
            for text in (key, value):
                char = bad_char(text)
                if char is not None:
                    problems.append({"loc": ["query", key.replace("\x00", "\\0")], "msg": f"holds {_describe(char)}",
                                     "type": "unstorable_text"})
                    break
        return problems[:MAX_PROBLEMS]


def _body_problems(content_type: bytes, body: bytes) -> list[dict]:
    if content_type == b"application/x-www-form-urlencoded":
        problems = []
        for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            char = bad_char(key) or bad_char(value)
            if char is not None:
                problems.append({"loc": ["body", key.replace("\x00", "\\0")], "msg": f"holds {_describe(char)}",
                                 "type": "unstorable_text"})
        return problems[:MAX_PROBLEMS]
    try:
        value = json.loads(body)
    except RecursionError:
        return [{"loc": ["body"], "msg": f"nested deeper than {MAX_JSON_DEPTH} levels / 嵌套过深", "type": "too_deep"}]
    except ValueError:
        return []  # not JSON: the route's own parser says so, in its own words
    return text_problems(value, ["body"], [])


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counting() -> dict:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(limit)
        return message

    return counting


def _with_security_headers(send: Send) -> Send:
    async def sending(message: dict) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = [*message.get("headers", []),
                                  *[(k, v) for k, v in SECURITY_HEADERS if k not in names]]
        await send(message)

    return sending


PAGE_REFUSALS = {413: ("内容过大", "上传的文件合计超过上限：请分几次上传，或压缩后再试。"),
                 422: ("输入无法保存", "输入或地址中含有无法保存的字符（如 NUL 或孤立的代理字符），请删除后重试。"),
                 400: ("请求无效", "请求格式不正确，请返回后重试。")}


async def _respond(send: Send, status: int, content: dict, headers: list | None = None, *, page: bool = False) -> None:
    """The refusal as JSON for the API; as a small page that says what to do for a person at the pages."""
    if page and status in PAGE_REFUSALS:
        title, message = PAGE_REFUSALS[status]
        body = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>{title}</title><link rel="stylesheet" '
                f'href="/static/baton.css"></head><body><main><div class="error" role="alert"><strong>{title}</strong>'
                f'<br>{message}</div><p><a class="button" href="/">返回首页</a></p></main></body></html>').encode()
        kind = b"text/html; charset=utf-8"
    else:
        body = json.dumps(content, ensure_ascii=False).encode("utf-8", "backslashreplace")
        kind = b"application/json"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
