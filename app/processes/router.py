from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, Response, UploadFile
from pydantic import BaseModel, Field

from app.auth.deps import CurrentActor
from app.auth.policy import require_admin
from app.common.downloads import attachment
from app.common.moments import Moment
from app.deps import DatabaseDep
from app.processes import service

router = APIRouter(tags=["processes"])


class ProcessOut(BaseModel):
    id: str
    name: str
    version: int
    description: str
    start_form: dict


class DeployedOut(BaseModel):
    id: str
    version: int


class VersionFileOut(BaseModel):
    name: str
    kind: str
    sha256: str
    download: str


class VersionOut(BaseModel):
    version: int
    deployed_at: Moment
    deployed_by: str | None
    active: bool = Field(description="new applications start on this version")
    running: int = Field(description="applications under way on this version")
    files: list[VersionFileOut]


class ProcessDetailOut(ProcessOut):
    active_version: int = Field(description="the version new applications start on")
    versions: list[int]
    deployments: list[VersionOut] = Field(description="every version: deployed when and by whom, how many run on it, its files")
    files: list[VersionFileOut]


ProcessId = Annotated[str, Path(max_length=200)]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/processes", response_model=list[ProcessOut], summary="Deployed processes (the versions new applications start on)")
def list_processes(_actor: CurrentActor, db: DatabaseDep) -> list[dict]:
    return service.list_processes(db)


@router.get("/processes/{process_id}", response_model=ProcessDetailOut,
            summary="One process: the version it starts on, every version with its deploy and running counts, files")
def get_process(process_id: ProcessId, _actor: CurrentActor, db: DatabaseDep) -> dict:
    return service.get_process(db, process_id)


@router.post("/processes/{process_id}/versions/{version}/activate", response_model=ProcessDetailOut,
             summary="Choose the version new applications start on (admin)")
def activate(process_id: ProcessId, version: Version, actor: CurrentActor, db: DatabaseDep) -> dict:
    require_admin(actor)
    return service.activate(db, process_id, version, actor.username)


@router.get("/processes/{process_id}/versions/{version}/files/{file_name}", summary="A deployed file (admin)",
            response_class=Response)
def download_file(process_id: ProcessId, version: Version, file_name: Annotated[str, Path(max_length=255)],
                  actor: CurrentActor, db: DatabaseDep) -> Response:
    require_admin(actor)
    found = service.deployed_file(db, process_id, version, file_name)
    return Response(found.content, media_type=service.MEDIA_TYPES.get(found.kind),
                    headers={"Content-Disposition": attachment(found.file_name, f"{found.kind}-file")})


@router.post("/processes", status_code=201, response_model=list[DeployedOut],
             summary="Deploy .bpmn/.dmn (and form .json) files (admin)")
def deploy(files: Annotated[list[UploadFile], File(description="one or more .bpmn/.dmn/.json files")],
           actor: CurrentActor, db: DatabaseDep, request: Request) -> list[dict]:
    require_admin(actor)
    sources = service.sources_of([(u.filename, u.file) for u in files], request.app.state.settings.max_deploy_files)
    return [{"id": d.process_id, "version": d.version} for d in service.deploy(db, sources, actor.username)]
