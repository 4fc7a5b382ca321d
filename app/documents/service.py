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
from app.errors import Invalid, NotFound
from workflows.text import unstorable_char

_CHUNK = 1024 * 1024


def describe(doc: Document) -> dict:
    return {"id": doc.id, "name": doc.name, "content_type": doc.content_type, "size": doc.size, "sha256": doc.sha256}


def upload(db: Database, settings: Settings, actor: Actor, name: str, content_type: str, stream: BinaryIO) -> dict:
    policy.require_upload(actor)
    base_type = (content_type or "").split(";")[0].strip().lower()
    if base_type not in settings.allowed_content_types:
        raise Invalid([{"loc": ["file"], "msg": f"content type {base_type or '(none)'!r} is not accepted; accepted: {', '.join(settings.allowed_content_types)}"}])
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
        with db.transaction() as session:
            doc = Document(id=doc_id, name=clean_name[:255], content_type=base_type, size=size, sha256=digest.hexdigest(),
                           storage_path=key, uploaded_by_id=actor.id)
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
        select(Document.id, Document.name, Document.content_type, Document.size, Document.sha256)
        .where(Document.application_id == application_id).order_by(Document.created_at))]
