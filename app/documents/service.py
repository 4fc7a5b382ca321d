"""Uploaded documents: stored on disk by id, described in the database, attached to one application."""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.auth import policy
from app.auth.policy import Actor
from app.config import Settings
from app.db import Database
from app.documents.models import Document
from app.documents.detect import ACCEPTED, accepted_names, detect
from app.errors import Conflict, Invalid, NotFound
from workflows.text import unstorable_char

_CHUNK = 1024 * 1024


def describe(doc: Document) -> dict:
    return {"id": doc.id, "name": doc.name, "content_type": doc.content_type, "type_name": ACCEPTED.get(doc.content_type),
            "kind": doc.kind, "size": doc.size, "sha256": doc.sha256}


def upload(db: Database, settings: Settings, actor: Actor, name: str, content_type: str, stream: BinaryIO,
           kind: str | None = None) -> dict:
    """Store an upload; its type is what its bytes are (whatever the client declared), and only the accepted ones."""
    policy.require_upload(actor)
    kind = (kind or "").strip() or None
    if kind is not None and (unstorable_char(kind) is not None or len(kind) > 100):
        raise Invalid([{"loc": ["kind"], "msg": "材料类型 (kind) 最多 100 个字符 / at most 100 characters"}])
    clean_name = os.path.basename(name or "").strip() or "document"
    if unstorable_char(clean_name) is not None:
        raise Invalid([{"loc": ["file"], "msg": "the file name holds a NUL or a lone surrogate; rename the file"}])
    doc_id = str(uuid.uuid4())
    key = f"{doc_id[:2]}/{doc_id}"  # stored relative: the storage directory may move
    path = Path(settings.storage_dir) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > settings.max_document_bytes:
                    raise Invalid([{"loc": ["file"], "msg": f"larger than {settings.max_document_bytes} bytes"}])
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise Invalid([{"loc": ["file"], "msg": "the file is empty"}])
        detected = detect(path)
        if detected not in ACCEPTED:
            raise Invalid([{"loc": ["file"], "msg": f"此类文件不能上传（按文件内容识别为 {detected or '未知类型'}）；可上传："
                                                     f"{accepted_names()} / this kind of file is not accepted (its "
                                                     f"content is {detected or 'unknown'}); accepted: "
                                                     f"{', '.join(ACCEPTED)}"}])
        with db.transaction() as session:
            doc = Document(id=doc_id, name=clean_name[:255], content_type=detected, kind=kind, size=size,
                           sha256=digest.hexdigest(), storage_path=key, uploaded_by_id=actor.id)
            session.add(doc)
            return describe(doc)
    except BaseException:
        path.unlink(missing_ok=True)  # nothing half-written stays behind
        raise


MAX_ATTACHED = 50  # documents one request may attach; looked up in one query


def check(session: Session, actor: Actor, document_ids: list[str], loc: list, application_id: int | None = None) -> list[str]:
    """The documents a request names, each the caller's own and attached nowhere else (or to `application_id`)."""
    ids = [str(d) for d in document_ids]
    if len(ids) > MAX_ATTACHED:
        raise Invalid([{"loc": loc, "msg": f"at most {MAX_ATTACHED} documents at a time; {len(ids)} given"}])
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))} if ids else {}
    problems, seen = [], set()
    for i, doc_id in enumerate(ids):
        doc = docs.get(doc_id)
        if doc_id in seen:
            problems.append({"loc": [*loc, i], "msg": f"document {doc_id} is given twice"})
        elif doc is None:
            problems.append({"loc": [*loc, i], "msg": f"document {doc_id} does not exist"})
        elif doc.uploaded_by_id != actor.id:
            problems.append({"loc": [*loc, i], "msg": f"document {doc_id} was uploaded by someone else"})
        elif doc.application_id not in (None, application_id):
            problems.append({"loc": [*loc, i], "msg": f"document {doc_id} belongs to another application"})
        seen.add(doc_id)
    if problems:
        raise Invalid(problems)
    return ids


def attach(session: Session, actor: Actor, application_id: int, document_ids: list[str], loc: list) -> list[str]:
    """Tie uploaded documents to an application, in two statements however many there are."""
    ids = check(session, actor, document_ids, loc, application_id)
    if not ids:
        return ids
    # Compare-and-set: two submissions racing for one document cannot both take it.
    taken = session.execute(update(Document).where(Document.id.in_(ids), Document.uploaded_by_id == actor.id,
                                                   or_(Document.application_id.is_(None),
                                                       Document.application_id == application_id))
                            .values(application_id=application_id))
    if taken.rowcount != len(ids):
        raise Invalid([{"loc": loc, "msg": "a document was attached to another application meanwhile; reload"}])
    return ids


# Fields of task forms that hold document ids (a certificate's scan, verification evidence, the region's decision).
DOCUMENT_FIELDS = ("documents", "evidence")


def attach_from_form(session: Session, actor: Actor, application_id: int, data: dict, loc: list) -> None:
    """Documents a department names in its task's answers join the application's dossier (its own uploads only)."""
    for field in DOCUMENT_FIELDS:
        ids = data.get(field)
        if isinstance(ids, list) and ids:
            attach(session, actor, application_id, [str(i) for i in ids], [*loc, field])


def delete(db: Database, settings: Settings, actor: Actor, doc_id: str) -> None:
    """The uploader takes back a document that is attached to nothing (a wrong file, before filing)."""
    with db.transaction() as session:
        doc = session.get(Document, doc_id)
        if doc is None or doc.uploaded_by_id != actor.id:
            raise NotFound(f"document {doc_id} not found")
        if doc.application_id is not None:
            raise Conflict(f"document {doc_id} is part of application {doc.application_id} and stays with it")
        session.delete(doc)
        stored = Path(settings.storage_dir) / doc.storage_path
    stored.unlink(missing_ok=True)


def file_of(settings: Settings, doc: Document) -> Path:
    """Where the bytes are; 404 if they are gone from the storage directory."""
    path = Path(settings.storage_dir) / doc.storage_path
    if not path.is_file():
        raise NotFound(f"the file of document {doc.id} is missing from storage; ask an administrator to restore it")
    return path


def for_download(db: Database, actor: Actor, doc_id: str) -> Document:
    with db.read() as session:
        doc = session.get(Document, doc_id)
        if doc is None:
            raise NotFound(f"document {doc_id} not found")
        policy.require_see_document(session, actor, doc)
        return doc


def listed(session: Session, application_id: int) -> list[dict]:
    return [describe(d) for d in session.execute(
        select(Document.id, Document.name, Document.content_type, Document.kind, Document.size, Document.sha256)
        .where(Document.application_id == application_id).order_by(Document.created_at))]


def uploads_of(db: Database, actor: Actor, document_ids: list[str]) -> list[dict]:
    """The caller's own uploads among `document_ids`, described (a page shows what was uploaded before a retry)."""
    ids = [str(i)[:36] for i in document_ids][:MAX_ATTACHED]
    if not ids:
        return []
    with db.read() as session:
        found = {d.id: describe(d) for d in session.scalars(
            select(Document).where(Document.id.in_(ids), Document.uploaded_by_id == actor.id))}
    return [found[i] for i in ids if i in found]
