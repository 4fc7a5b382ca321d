"""Deploying process definitions and reading the deployed catalogue."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from app.applications.models import Application
from app.audit.service import record
from app.db import Database
from app.departments.directory import names as department_names
from app.departments.models import Department
from app.errors import Invalid, NotFound, TooLarge
from app.processes import diagram
from app.processes.models import DeployedFile, ProcessDefinition
from app.vocabulary import ACTIVE_STATUSES
from workflows.definitions import (
    DeployedCatalogue,
    DeploymentError,
    SourceFile,
    build_deployment,
    decision_ids,
    parse_xml,
)
from workflows.instances import REGISTRY

DEFAULT_START_FORM = "project.schema.json"
_DEPLOY_LOCK = 4_201_771  # advisory lock key: one deployment at a time across processes (PostgreSQL)


@dataclass(frozen=True)
class Deployed:
    process_id: str
    version: int
    created: bool  # False when the files were unchanged and the existing version stands


def _latest_ids(session: Session):
    return select(func.max(ProcessDefinition.id)).group_by(ProcessDefinition.process_id)


def catalogue(session: Session) -> DeployedCatalogue:
    """What later uploads may refer to: the latest BPMN of each process, decision and form."""
    latest = list(session.scalars(select(DeployedFile).where(DeployedFile.definition_id.in_(_latest_ids(session)))))
    bpmn = {f.file_name: f for f in latest if f.kind == "bpmn"}
    dmn: dict[str, DeployedFile] = {}
    forms: dict[str, DeployedFile] = {}
    for f in session.scalars(select(DeployedFile).where(DeployedFile.kind.in_(("dmn", "form"))).order_by(DeployedFile.id)):
        if f.kind == "dmn":
            dmn[f.decision_id] = f
        else:
            forms[f.file_name] = f
    return DeployedCatalogue(
        bpmn_files=[SourceFile(f.file_name, f.content) for f in bpmn.values()],
        dmn_files=[SourceFile(f.file_name, f.content) for f in dmn.values()],
        forms={name: json.loads(f.content) for name, f in forms.items()},
    )


def _decision_id(source: SourceFile) -> str | None:
    ids = decision_ids(parse_xml(source))
    return ids[0] if ids else None


def deploy(db: Database, files: list[SourceFile], deployed_by: str | None) -> list[Deployed]:
    """Validate and store; each changed process gets version n+1, an unchanged one keeps its version."""
    with db.transaction() as session:
        if db.is_postgres:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DEPLOY_LOCK})
        departments = list(session.scalars(select(Department.code)))
        try:
            bundles = build_deployment(files, departments=departments, catalogue=catalogue(session),
                                       serializer_registry=REGISTRY)
        except DeploymentError as exc:
            raise Invalid([{"file": p.file, "element_id": p.element_id, "message": p.message} for p in exc.problems])
        results = []
        for bundle in bundles:
            latest = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == bundle.process_id)
                                    .order_by(ProcessDefinition.version.desc()).limit(1))
            if latest is not None and latest.content_hash == bundle.content_hash:
                results.append(Deployed(bundle.process_id, latest.version, False))
                continue
            # The new version is the one new applications start on; running ones finish on theirs.
            session.execute(update(ProcessDefinition).where(ProcessDefinition.process_id == bundle.process_id)
                            .values(active=False))
            definition = ProcessDefinition(
                process_id=bundle.process_id, version=(latest.version + 1) if latest else 1, name=bundle.name,
                description=bundle.description, content_hash=bundle.content_hash,
                spec_json=json.dumps(bundle.spec, ensure_ascii=False), forms=bundle.forms,
                start_form=bundle.start_form, deployed_by=deployed_by, active=True,
            )
            for source in bundle.sources:
                kind = "dmn" if source.name.lower().endswith(".dmn") else "bpmn"
                definition.files.append(DeployedFile(file_name=source.name, kind=kind, sha256=source.sha256,
                                                     content=source.content,
                                                     decision_id=_decision_id(source) if kind == "dmn" else None))
            for name, schema in bundle.forms.items():
                content = json.dumps(schema, ensure_ascii=False, indent=2).encode()
                source = SourceFile(name, content)
                definition.files.append(DeployedFile(file_name=name, kind="form", sha256=source.sha256, content=content))
            session.add(definition)
            session.flush()
            results.append(Deployed(bundle.process_id, definition.version, True))
        return results


MAX_FILE_BYTES = 5 * 1024 * 1024  # one model or form


def sources_of(uploads: list[tuple[str | None, BinaryIO]], max_files: int) -> list[SourceFile]:
    """Uploaded files as a deployment's sources, each within its size and the deployment within its count."""
    if len(uploads) > max_files:
        raise TooLarge(f"{len(uploads)} files given; one deployment takes at most {max_files} (一次最多部署 {max_files} 个文件)")
    sources = []
    for name, stream in uploads:
        content = stream.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise Invalid([{"file": name, "element_id": None,
                            "message": f"文件超过 {MAX_FILE_BYTES // 1048576} MB / larger than {MAX_FILE_BYTES} bytes"}])
        sources.append(SourceFile(name or "unnamed", content))
    return sources


def read_directory(directory: Path) -> list[SourceFile]:
    """Every .bpmn/.dmn in a directory and every form in its forms/ folder, in a stable order."""
    paths = sorted([*directory.glob("*.bpmn"), *directory.glob("*.dmn"), *(directory / "forms").glob("*.json")])
    return [SourceFile(p.name, p.read_bytes()) for p in paths]


def latest_definition(session: Session, process_id: str) -> ProcessDefinition | None:
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                          .order_by(ProcessDefinition.version.desc()).limit(1))


def start_form_of(session: Session, definition: ProcessDefinition) -> dict:
    if definition.start_form:
        return definition.start_form
    shared = session.scalar(select(DeployedFile).where(DeployedFile.kind == "form", DeployedFile.file_name == DEFAULT_START_FORM)
                            .order_by(DeployedFile.id.desc()).limit(1))
    if shared is not None:
        return json.loads(shared.content)
    return {"type": "object", "title": "项目信息", "examples": [{}]}


def active_definition(session: Session, process_id: str) -> ProcessDefinition | None:
    """The version new applications start on (the newest, unless an administrator chose another)."""
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                          .order_by(ProcessDefinition.active.desc(), ProcessDefinition.version.desc()).limit(1))


def list_processes(db: Database) -> list[dict]:
    with db.read() as session:
        process_ids = list(session.scalars(select(ProcessDefinition.process_id).distinct()
                                           .order_by(ProcessDefinition.process_id)))
        definitions = [active_definition(session, p) for p in process_ids]
        return [{"id": d.process_id, "name": d.name, "version": d.version, "description": d.description,
                 "start_form": start_form_of(session, d)} for d in definitions]


def get_process(db: Database, process_id: str) -> dict:
    """The process as it starts now, and every version: deployed when and by whom, how many run on it, its files."""
    with db.read() as session:
        d = active_definition(session, process_id)
        if d is None:
            raise NotFound(f"process {process_id!r} is not deployed")
        versions = list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                                        .order_by(ProcessDefinition.version)))
        running = dict(session.execute(
            select(Application.definition_id, func.count()).where(
                Application.process_id == process_id, Application.status.in_(ACTIVE_STATUSES))
            .group_by(Application.definition_id)).all())
        files = session.execute(select(DeployedFile.definition_id, DeployedFile.file_name, DeployedFile.kind,
                                       DeployedFile.sha256)
                                .where(DeployedFile.definition_id.in_([v.id for v in versions]))
                                .order_by(DeployedFile.id)).all()
        by_version: dict[int, list] = {}
        for f in files:
            by_version.setdefault(f.definition_id, []).append(f)

        def described(f, version: int) -> dict:
            return {"name": f.file_name, "kind": f.kind, "sha256": f.sha256,
                    "download": f"/api/v1/processes/{process_id}/versions/{version}/files/{f.file_name}"}

        return {"id": d.process_id, "name": d.name, "version": d.version, "description": d.description,
                "start_form": start_form_of(session, d), "active_version": d.version,
                "versions": [v.version for v in versions],
                "deployments": [{"version": v.version, "deployed_at": v.deployed_at, "deployed_by": v.deployed_by,
                              "active": v.id == d.id, "running": running.get(v.id, 0),
                              "files": [described(f, v.version) for f in by_version.get(v.id, [])]}
                             for v in versions],
                "files": [described(f, d.version) for f in by_version.get(d.id, [])]}


def _version(session: Session, process_id: str, version: int) -> ProcessDefinition:
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id,
                                                                ProcessDefinition.version == version))
    if definition is None:
        raise NotFound(f"process {process_id!r} has no version {version}")
    return definition


def activate(db: Database, process_id: str, version: int, actor: str) -> dict:
    """Choose the version new applications start on (undoing a bad deploy at once); running ones stay on theirs."""
    with db.transaction() as session:
        chosen = _version(session, process_id, version)
        session.execute(update(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                        .values(active=False))
        chosen.active = True
        record(session, None, actor, "version_activated", {"process": process_id, "version": version})
    return get_process(db, process_id)


MEDIA_TYPES = {"bpmn": "application/xml", "dmn": "application/xml", "form": "application/json"}


def deployed_file(db: Database, process_id: str, version: int, file_name: str) -> DeployedFile:
    with db.read() as session:
        definition = _version(session, process_id, version)
        found = session.scalar(select(DeployedFile).where(DeployedFile.definition_id == definition.id,
                                                          DeployedFile.file_name == file_name))
        if found is None:
            raise NotFound(f"version {version} of {process_id!r} has no file {file_name!r}")
        return found


def model_of(session: Session, definition_id: int, process_id: str) -> bytes | None:
    """The deployed BPMN file that holds `process_id` (a version's picture and its stages are drawn from it)."""
    for content in session.scalars(select(DeployedFile.content).where(DeployedFile.definition_id == definition_id,
                                                                      DeployedFile.kind == "bpmn")):
        if f'id="{process_id}"'.encode() in content:
            return content
    return None


class Picture(NamedTuple):
    svg: str | None  # None: the model has no diagram for the process
    stages: list[tuple[str, str]]  # (code, name) in the model's order


def version_picture(db: Database, process_id: str, version: int, marks: dict[str, str] | None = None) -> Picture:
    """A deployed version's diagram with an application's marks (unmarked on the admin's version page) and its
    stages, from one read of the model."""
    with db.read() as session:
        model = model_of(session, _version(session, process_id, version).id, process_id)
        lanes = {"applicant": "申请人", **department_names(session)}
    if model is None:
        return Picture(None, [])
    return Picture(diagram.svg(model, process_id, marks, lanes), diagram.stages(model, process_id))
