from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from app.auth.deps import CurrentActor
from app.deps import DatabaseDep, SettingsDep
from app.documents import service

router = APIRouter(tags=["documents"])


class DocumentOut(BaseModel):
    id: str
    name: str
    content_type: str
    size: int
    sha256: str


@router.post("/documents", status_code=201, response_model=DocumentOut, summary="Upload a document (size and type limits apply)")
def upload(file: Annotated[UploadFile, File()], actor: CurrentActor, db: DatabaseDep, settings: SettingsDep) -> dict:
    return service.upload(db, settings, actor, file.filename or "", file.content_type or "", file.file)


@router.get("/documents/{document_id}", summary="Download a document you may see", response_class=FileResponse)
def download(document_id: str, actor: CurrentActor, db: DatabaseDep, settings: SettingsDep) -> FileResponse:
    doc = service.for_download(db, actor, document_id)
    return FileResponse(service.file_of(settings, doc), media_type=doc.content_type, filename=doc.name)
