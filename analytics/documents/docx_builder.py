"""A `Document` as a Word file (.docx, python-docx) laid out after GB/T 9704-2012.

A4; 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm; body 3号 (16 pt) 仿宋_GB2312 at a fixed 28.9 pt line (22 lines a page);
发文机关标志 in red 方正小标宋简体; a red separator line under the 文号; 标题 2号 方正小标宋简体; 一级标题 黑体, 二级标题
楷体_GB2312; page numbers “— 1 —” in 4号 宋体. The fonts are named as the standard names them; Word substitutes an
installed face where one is missing (the PDF is rendered separately with installed fallbacks, see pdf_builder).
"""
from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from analytics.documents.model import Attachment, Document, Heading, Paragraph

TITLE_FONT, BODY_FONT, HEI_FONT, KAI_FONT, SONG_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xFF, 0x00, 0x00)
SIZE_2, SIZE_3, SIZE_4, SIZE_5 = Pt(22), Pt(16), Pt(14), Pt(10.5)
LINE = Pt(28.9)


def _font(run, east_asia: str, size, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = LATIN_FONT
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)


def _para(doc, text: str = "", *, font: str = BODY_FONT, size=SIZE_3, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
          indent_chars: float = 0, right_chars: float = 0, bold: bool = False, color=None, line=LINE):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = align
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    if indent_chars:
        fmt.first_line_indent = Pt(size.pt * indent_chars)
    if right_chars:
        fmt.right_indent = Pt(size.pt * right_chars)
    if text:
        _font(p.add_run(text), font, size, bold, color)
    return p


_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
               "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
               "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
               "w:rPr", "w:sectPr", "w:pPrChange")


def _border(paragraph, edge: str, color: str, size_eighths: int) -> None:
    """A paragraph border (top or bottom), placed where the schema wants it (Word rejects misplaced elements)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.insert_element_before(borders, *_AFTER_PBDR)
    b = OxmlElement(f"w:{edge}")
    for k, v in (("val", "single"), ("sz", str(size_eighths)), ("space", "1"), ("color", color)):
        b.set(qn(f"w:{k}"), v)
    if edge == "top":
        borders.insert(0, b)
    else:
        borders.append(b)


def _page_number_footer(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), SONG_FONT, SIZE_4)
    run = p.add_run()
    _font(run, SONG_FONT, SIZE_4)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    _font(p.add_run(" —"), SONG_FONT, SIZE_4)


def _setup(doc) -> None:
    s = doc.sections[0]
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    s.footer_distance = Mm(20)
    _page_number_footer(s)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = LATIN_FONT, SIZE_3
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)


def _head(doc, d: Document) -> None:
    """版头: 份号/密级 position (内部资料), 发文机关标志 (red), 文号, red line; then 标题 and 主送."""
    _para(doc, d.mark, font=HEI_FONT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(doc, d.office_mark, font=TITLE_FONT, size=Pt(26), align=WD_ALIGN_PARAGRAPH.CENTER, color=RED, line=Pt(48))
    _para(doc)
    number = _para(doc, d.number, align=WD_ALIGN_PARAGRAPH.CENTER)
    if d.is_briefing:  # 简报 layout: issuer left, date right, on the line above the red rule
        number = _para(doc, align=WD_ALIGN_PARAGRAPH.LEFT)
        number.paragraph_format.tab_stops.add_tab_stop(Mm(156), WD_TAB_ALIGNMENT.RIGHT)
        _font(number.add_run(f"{d.signatory}\t{d.date_text}"), BODY_FONT, SIZE_3)
    _border(number, "bottom", "FF0000", 12)
    _para(doc)
    _para(doc, d.title + ("（预览，未发布）" if d.preview else ""), font=TITLE_FONT, size=SIZE_2,
          align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35))
    _para(doc)
    if d.addressees:
        _para(doc, d.addressees, align=WD_ALIGN_PARAGRAPH.LEFT)


def _body(doc, d: Document) -> None:
    for block in d.body:
        if isinstance(block, Heading):
            _para(doc, block.text, font=HEI_FONT if block.level == 1 else KAI_FONT, indent_chars=2)
        elif isinstance(block, Paragraph):
            _para(doc, block.text, indent_chars=2)


def _signature(doc, d: Document) -> None:
    if d.is_briefing:
        return
    _para(doc)
    _para(doc)
    _para(doc, d.signatory, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2)
    _para(doc, d.date_text, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)


def _cell(cell, text: str, bold: bool, right: bool) -> None:
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.CENTER if bold else WD_ALIGN_PARAGRAPH.LEFT
    _font(p.add_run(text), HEI_FONT if bold else BODY_FONT, SIZE_5)


def _attachment(doc, i: int, a: Attachment, numbered: bool) -> None:
    p = doc.add_paragraph()
    p.add_run().add_break(WD_BREAK.PAGE)
    _para(doc, f"附件{i}" if numbered else "附件", font=HEI_FONT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(doc)
    _para(doc, a.title, font=TITLE_FONT, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35))
    _para(doc)
    table = doc.add_table(rows=1 + len(a.rows), cols=len(a.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    numeric = a.numeric or (False,) * len(a.columns)
    for j, head in enumerate(a.columns):
        _cell(table.rows[0].cells[j], head, True, False)
    for r, row in enumerate(a.rows, start=1):
        for j, value in enumerate(row):
            _cell(table.rows[r].cells[j], value, False, numeric[j])
    if a.note:
        _para(doc, f"注：{a.note}", size=SIZE_5, line=Pt(18))


def _imprint(doc, d: Document) -> None:
    """版记: 抄送 and 印发机关、印发日期 between lines (4号 仿宋)."""
    if d.attachments:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    else:
        _para(doc)
    if d.copy_to:
        first = _para(doc, d.copy_to, size=SIZE_4, align=WD_ALIGN_PARAGRAPH.LEFT, line=Pt(25))
        _border(first, "top", "000000", 8)
    if d.is_briefing:  # 简报 layout: the “报：” line only
        if d.copy_to:
            _border(first, "bottom", "000000", 8)
        return
    printed = _para(doc, f"{d.printer}\u3000\u3000{d.date_text}印发", size=SIZE_4, align=WD_ALIGN_PARAGRAPH.LEFT,
                    line=Pt(25))
    if not d.copy_to:
        _border(printed, "top", "000000", 8)
    _border(printed, "bottom", "000000", 8)


def document_docx(d: Document) -> bytes:
    doc = new_docx()
    _setup(doc)
    core = doc.core_properties
    core.title, core.author, core.comments = d.title, d.signatory, ""
    _head(doc, d)
    _body(doc, d)
    _signature(doc, d)
    for i, a in enumerate(d.attachments, start=1):
        _attachment(doc, i, a, len(d.attachments) > 1)
    _imprint(doc, d)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()

