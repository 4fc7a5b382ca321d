from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel

from app.auth.policy import require_admin
from app.auth.deps import CurrentActor
from app.deps import DatabaseDep
from app.errors import Invalid, TooLarge
from app.processes import service
from workflows.definitions import SourceFile

router = APIRouter(tags=["processes"])
MAX_FILE_BYTES = 5 * 1024 * 1024


class ProcessOut(BaseModel):
    id: str
    name: str
    version: int
    description: str
    start_form: dict


class DeployedOut(BaseModel):
    id: str
    version: int


@router.get("/processes", response_model=list[ProcessOut], summary="Deployed processes (latest versions)")
def list_processes(_actor: CurrentActor, db: DatabaseDep) -> list[dict]:
    return service.list_processes(db)


@router.get("/processes/{process_id}", summary="One process: latest version, all versions, its files")
def get_process(process_id: str, _actor: CurrentActor, db: DatabaseDep) -> dict:
    return service.get_process(db, process_id)


@router.post("/processes", status_code=201, response_model=list[DeployedOut],
             summary="Deploy .bpmn/.dmn (and form .json) files (admin)")
def deploy(files: Annotated[list[UploadFile], File(description="one or more .bpmn/.dmn/.json files")],
           actor: CurrentActor, db: DatabaseDep, request: Request) -> list[dict]:
    require_admin(actor)
    limit = request.app.state.settings.max_deploy_files
    if len(files) > limit:
        raise TooLarge(f"{len(files)} files given; one deployment takes at most {limit} (一次最多部署 {limit} 个文件)")
    sources = []
    for upload in files:
        content = upload.file.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise Invalid([{"file": upload.filename, "element_id": None, "message": f"larger than {MAX_FILE_BYTES} bytes"}])
        sources.append(SourceFile(upload.filename or "unnamed", content))
    return [{"id": d.process_id, "version": d.version} for d in service.deploy(db, sources, actor.username)]
