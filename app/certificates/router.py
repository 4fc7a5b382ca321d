from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.auth.deps import CurrentActor
from app.certificates import service
from app.certificates.schemas import CertificateCheck, CertificateOut, ExtensionIn, StartIn
from app.common.concurrency import in_thread
from app.common.downloads import attachment
from app.certificates.document import cjk_font
from app.deps import DatabaseDep, SettingsDep

router = APIRouter(tags=["certificates"])
CertificateId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the certificate's id")]


@router.get("/certificates/verify", response_model=CertificateCheck,
            summary="Check a certificate by its verification code (no sign-in)")
def verify_certificate(code: Annotated[str, Query(min_length=4, max_length=40, pattern="^[0-9A-Za-z]+$")],
                       db: DatabaseDep, request: Request) -> dict:
    return service.verify(db, code, request.client.host if request.client else None)


@router.get("/certificates/{certificate_id}", response_model=CertificateOut, summary="One certificate, with its validity")
async def get_certificate(certificate_id: CertificateId, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.get, db, actor, certificate_id)


@router.post("/certificates/{certificate_id}/extensions", response_model=CertificateOut,
             summary="Extend a construction permit's start-by date (housing-construction; at most twice, ≤ 3 months)")
async def extend(certificate_id: CertificateId, body: ExtensionIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.extend, db, actor, certificate_id, body.months, body.reason)


@router.post("/certificates/{certificate_id}/start", response_model=CertificateOut,
             summary="Record the day construction started under a permit (holder or housing-construction)")
async def record_start(certificate_id: CertificateId, body: StartIn, actor: CurrentActor, db: DatabaseDep):
    return await in_thread(service.record_start, db, actor, certificate_id, body.started_on)


@router.get("/certificates/{certificate_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 503: {"description": "no CJK font on the server"}},
            summary="The certificate as a PDF: number, holder, conditions, issue date, verification code and QR code")
async def certificate_pdf(certificate_id: CertificateId, actor: CurrentActor, db: DatabaseDep, settings: SettingsDep,
                          request: Request) -> Response:
    return await in_thread(pdf_download, db, actor, certificate_id, settings, str(request.base_url))


def pdf_download(db, actor, certificate_id: int, settings, base_url: str) -> Response:
    """The certificate's PDF as a download (the API's and the pages'), its QR code to the public address."""
    name, content = service.as_pdf(db, actor, certificate_id, settings.public_url or base_url,
                                   cjk_font(settings.pdf_font))
    return Response(content, media_type="application/pdf",
                    headers={"content-disposition": attachment(name, f"certificate-{certificate_id}.pdf")})

