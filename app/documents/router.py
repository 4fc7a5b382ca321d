from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from app.auth.deps import CurrentActor
from app.deps import DatabaseDep, SettingsDep
from app.documents import service

router = APIRouter(tags=["documents"])


class DocumentOut(BaseModel):
    id: str
    name: str
    content_type: str = Field(description="what the file's bytes are (not what the client declared)")
    type_name: str | None = None
    kind: str | None = Field(default=None, description="材料类型: 承诺书, 授权委托书, 出让合同 … or free text")
    size: int
    sha256: str


@router.post("/documents", status_code=201, response_model=DocumentOut, summary="Upload a document (size and type limits apply)")
def upload(file: Annotated[UploadFile, File()], actor: CurrentActor, db: DatabaseDep, settings: SettingsDep,
           kind: Annotated[str | None, Form(max_length=100, description="材料类型 (承诺书, 授权委托书 …)")] = None) -> dict:
    return service.upload(db, settings, actor, file.filename or "", file.content_type or "", file.file, kind)


@router.delete("/documents/{document_id}", status_code=204, summary="Delete your upload while it is attached to nothing")
def delete(document_id: Annotated[str, Path(max_length=36)], actor: CurrentActor, db: DatabaseDep,
           settings: SettingsDep) -> Response:
    service.delete(db, settings, actor, document_id)
    return Response(status_code=204)


@router.get("/documents/{document_id}", summary="Download a document you may see", response_class=FileResponse)
def download(document_id: str, actor: CurrentActor, db: DatabaseDep, settings: SettingsDep) -> FileResponse:
    doc = service.for_download(db, actor, document_id)
    return FileResponse(service.file_of(settings, doc), media_type=doc.content_type, filename=doc.name)
