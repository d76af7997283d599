"""Shared PDF layout: the embedded CJK font, the page footer with the verification QR code.

fpdf2 is used because it embeds (and subsets) OpenType/CFF fonts such as Debian's Noto Sans
CJK; reportlab only embeds TrueType outlines and would need a second font package.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import qrcode
from fpdf import FPDF

from fengqiao.documents.texts import AGREEMENT

MM_TO_PT = 72 / 25.4
A4_HEIGHT_MM = 297.0
FONT_FAMILY = "cjk"

# Debian paths, best first. fonts-noto-cjk is the one the project installs.
FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class FontMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__(AGREEMENT["font_missing"])


@functools.lru_cache(maxsize=8)
def find_cjk_font(preferred: str | None = None) -> tuple[str, int]:
    """(font file, index inside a .ttc) of a font that covers Simplified Chinese."""
    candidates = ([preferred] if preferred else []) + list(FONT_CANDIDATES)
    for path in candidates:
        if path and Path(path).is_file():
            return path, _simplified_chinese_index(path)
    raise FontMissing()


def _simplified_chinese_index(path: str) -> int:
    if not path.lower().endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(path, lazy=True) as collection:
        for index, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith(" SC") or "SC" in family.split():
                return index
    return 0


class DocumentPdf(FPDF):
    """A4 page with a CJK font and, on every page, the code and QR link to verify it."""

    def __init__(self, *, doc_code: str, public_url: str, font_path: str | None = None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        path, index = find_cjk_font(font_path)
        self.add_font(FONT_FAMILY, fname=path, collection_font_number=index)
        self.set_font(FONT_FAMILY, size=11)
        self.doc_code = doc_code
        self.verify_url = verify_url(public_url, doc_code)
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(True, margin=34)
        self.set_creator("Fengqiao")
        self.set_lang("zh-CN")

    def footer(self) -> None:
        size = 20.0
        x, y = self.w - self.r_margin - size, self.h - 8 - size
        draw_qr(self, self.verify_url, x, y, size)
        self.set_font(FONT_FAMILY, size=8)
        self.set_xy(self.l_margin, y + 3)
        self.cell(0, 4, AGREEMENT["doc_code"].format(code=self.doc_code))
        self.set_xy(self.l_margin, y + 8)
        self.cell(0, 4, AGREEMENT["verify_hint"] + "：" + self.verify_url)
        self.set_xy(self.l_margin, y + 13)
        self.cell(0, 4, AGREEMENT["page"].format(page=self.page_no(), pages="{nb}"))
        self.set_font(FONT_FAMILY, size=11)


def verify_url(public_url: str, doc_code: str) -> str:
    return f"{public_url.rstrip('/')}/h5/verify?code={quote(doc_code, safe='')}"


def draw_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code as vector squares: sharp at any zoom, no image dependency."""
    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    matrix: Sequence[Sequence[bool]] = qr.get_matrix()
    cell = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row_no, row in enumerate(matrix):
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            start = col  # one rectangle per horizontal run keeps the file small
            while col < len(row) and row[col]:
                col += 1
            pdf.rect(x + start * cell, y + row_no * cell, (col - start) * cell, cell, style="F")


def mm_box_to_pdf(x: float, y: float, w: float, h: float) -> tuple[int, int, int, int]:
    """fpdf2's top-left millimetres to PDF user space (bottom-left points), for pyHanko."""
    return (
        round(x * MM_TO_PT),
        round((A4_HEIGHT_MM - y - h) * MM_TO_PT),
        round((x + w) * MM_TO_PT),
        round((A4_HEIGHT_MM - y) * MM_TO_PT),
    )
