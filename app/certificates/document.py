"""A certificate as a PDF the holder prints or forwards: its name, number, holder, project, conditions, issue date,
issuing department, verification code and a QR code of the public verification address, in Chinese (fpdf2 with a
CJK font, segno for the QR code)."""
from __future__ import annotations

import io
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import segno
from fpdf import FPDF

from workflows.calendar import CHINA

# Where Debian, RHEL and macOS keep a CJK font (Debian: fonts-noto-cjk); fc-match is asked when none is here.
_CANDIDATES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
               "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
               "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
               "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
               "/System/Library/Fonts/PingFang.ttc")
_SIMPLIFIED = 2  # NotoSansCJK-Regular.ttc holds JP, KR, SC, TC, HK: SC is the third
NO_FONT = ("服务器未安装中文字体，暂不能生成证照 PDF：请管理员安装 fonts-noto-cjk（或设置 BATON_PDF_FONT 为一个中文字体文件）"
           " / no CJK font on the server: install fonts-noto-cjk or set BATON_PDF_FONT")


@lru_cache(maxsize=4)
def cjk_font(configured: str | None = None) -> str | None:
    """The font file certificates are set in: the configured one, a known one, or what fontconfig offers for zh."""
    for candidate in ([configured] if configured else []) + list(_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True,
                               timeout=10).stdout.strip()
        if found and Path(found).is_file() and found.lower().endswith((".ttf", ".otf", ".ttc")):
            return found
    return None


def render(certificate: dict, *, holder: str, credit_code: str | None, project: str | None, issuer: str | None,
           verify_url: str, font: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"{certificate['name']} {certificate['number']}")
    pdf.set_author(issuer or "呼和浩特市工程建设项目审批")
    pdf.set_auto_page_break(True, margin=20)
    collection = {"collection_font_number": _SIMPLIFIED} if font.lower().endswith(".ttc") and "Noto" in font else {}
    pdf.add_font("cjk", fname=font, **collection)
    pdf.add_page()
    pdf.set_draw_color(160, 30, 30)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 190, 277)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, 184, 271)
    pdf.set_font("cjk", size=12)
    pdf.set_y(24)
    pdf.cell(0, 8, "呼和浩特市工程建设项目审批", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=26)
    pdf.set_text_color(160, 30, 30)
    pdf.cell(0, 16, certificate["name"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, f"编号：{certificate['number']}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    issued = certificate["issued_at"].astimezone(CHINA)
    rows = [("持证单位", holder), ("统一社会信用代码", credit_code or "—"), ("项目名称", project or "—"),
            ("发证机关", issuer or "—"), ("发证日期", f"{issued.year}年{issued.month}月{issued.day}日"),
            ("证照状态", certificate.get("status_name") or "有效")]
    if certificate.get("start_by"):
        d = certificate["start_by"]
        rows.append(("开工期限", f"{d.year}年{d.month}月{d.day}日前开工（可申请延期）"))
    rows.append(("附加条件", certificate.get("conditions") or "无"))
    pdf.set_x(24)
    for label, value in rows:
        pdf.set_x(24)
        pdf.set_font("cjk", size=12)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(42, 9, label)
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(120, 9, str(value), new_x="LMARGIN", new_y="NEXT")
    qr = segno.make(verify_url, error="m")
    picture = io.BytesIO()
    qr.save(picture, kind="png", scale=8, border=2)
    picture.seek(0)
    top = max(pdf.get_y() + 10, 190)
    pdf.image(picture, x=24, y=top, w=48, h=48)
    pdf.set_xy(80, top + 4)
    pdf.set_font("cjk", size=12)
    pdf.multi_cell(105, 7, f"核验码：{certificate['verification_code']}\n扫描二维码或访问以下地址核验本证真伪与状态：\n"
                           f"{verify_url}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(268)
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(110, 110, 110)
    pdf.cell(0, 6, "本电子证照由呼和浩特市工程建设项目审批系统（Baton）生成，与纸质证照具有同等效力；状态以核验结果为准。",
             align="C")
    return bytes(pdf.output())
