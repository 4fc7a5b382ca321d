"""What a file is, judged by its bytes (filetype, and a look inside zip containers), never by what the client says."""
from __future__ import annotations

import zipfile
from pathlib import Path

import filetype

# What may be uploaded: detected type -> what people call it.
ACCEPTED = {
    "application/pdf": "PDF",
    "application/ofd": "OFD 版式文件",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档 (.docx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格 (.xlsx)",
    "image/png": "PNG 图片",
    "image/jpeg": "JPEG 图片",
    "application/zip": "ZIP 压缩包",
    "text/plain": "纯文本",
}
_HEAD = 8192


def accepted_names() -> str:
    return "、".join(ACCEPTED.values())


def detect(path: Path) -> str | None:
    """The file's type from its content; None when it is none Baton accepts to name (executables included)."""
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in ("application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") or head.startswith(b"PK\x03\x04"):
        return _inside_zip(path) or mime
    if mime is None and head and _is_text(head):
        return "text/plain"
    return mime


def _inside_zip(path: Path) -> str | None:
    """OFD and Office files are zip containers: what they hold says which."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist()[:2000])
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "OFD.xml" in names or any(n.lower() == "ofd.xml" for n in names):
        return "application/ofd"
    if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "application/zip"


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a character cut off at the end of the sample
