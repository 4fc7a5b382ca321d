"""A certificate as a PDF, on both backends: its number, holder, project, issuing department and verification code
in Chinese (the text extracts, the page rasterises with ink where the title is), and a QR code that, read from the
rasterised page, leads to the public verification page saying 有效. Only those who may see the application get it."""
from __future__ import annotations

import pytest

from app.certificates.document import cjk_font
from tests.applications.test_fast_track import issue_all, submit_fast
from tests.helpers import auth


def rasterised(content: bytes):
    pdfium = pytest.importorskip("pypdfium2", reason="the PDF checks need pypdfium2 (pip install -e '.[test]')")
    document = pdfium.PdfDocument(content)
    try:
        page = document[0]
        return page.render(scale=2).to_pil().convert("L"), page.get_textpage().get_text_range()
    finally:
        document.close()  # its pages and text pages with it


def qr_codes(image) -> list[str]:
    zxing = pytest.importorskip("zxingcpp", reason="reading the QR code needs zxing-cpp (pip install -e '.[test]')")
    return [r.text for r in zxing.read_barcodes(image)]


@pytest.fixture
def font():
    found = cjk_font()
    if found is None:
        pytest.skip("certificate PDFs need a CJK font: apt-get install fonts-noto-cjk")
    return found


def test_each_of_the_five_certificates_downloads_as_a_pdf_whose_qr_code_verifies_it(client, font):
    done = issue_all(client, submit_fast(client).json()["id"])
    assert len(done["certificates"]) == 5
    for certificate in done["certificates"]:
        r = client.get(f"/api/v1/certificates/{certificate['id']}/pdf", headers=auth("acme"))
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
        image, text = rasterised(r.content)
        for shown in (certificate["name"], certificate["number"], "acme 有限公司", certificate["verification_code"],
                      "发证机关", "有效"):
            assert shown in text, (shown, text)
        assert "—" not in text.split("发证机关")[1].split("\n")[0]  # the issuing department is named
        band = image.crop((0, 0, image.width, image.height // 5))  # the title: dark glyphs, not an empty box
        assert sum(band.histogram()[:128]) > 2000
        [url] = qr_codes(image)
        assert url.endswith(f"/verify?code={certificate['verification_code']}")
        page = client.get("/verify" + url.split("/verify", 1)[1])
        assert page.status_code == 200 and "有效" in page.text and certificate["number"] in page.text


def test_only_those_who_see_the_application_get_its_pdf(client, font):
    done = issue_all(client, submit_fast(client).json()["id"])
    certificate = done["certificates"][0]["id"]
    assert client.get(f"/api/v1/certificates/{certificate}/pdf", headers=auth("other")).status_code == 404
    assert client.get(f"/api/v1/certificates/{certificate}/pdf").status_code == 401
    assert client.get(f"/api/v1/certificates/{certificate}/pdf", headers=auth("natres")).status_code == 200
