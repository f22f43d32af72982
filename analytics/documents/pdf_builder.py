"""The same `Document` as PDF: HTML in the GB/T 9704 layout rendered by WeasyPrint, fonts embedded (subsets).

Why not convert the .docx: LibreOffice is not on these machines and its headless Writer is a heavy install; WeasyPrint
is already the product's PDF path. Both files are rendered from one `Document`, so they carry the same text.

Fonts: the standard's names first (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312 and their usual PostScript names), then
free faces installed by setup — Noto Serif CJK SC (宋体 style, for 标题 and 正文), Noto Sans CJK SC (黑体),
AR PL KaitiM GB / AR PL UKai (楷体) — and finally WenQuanYi Micro Hei, present on every machine of this product.
"""
from __future__ import annotations

import html

from analytics.documents.model import Attachment, Document, Heading, Paragraph

_FALLBACK = '"Noto Serif CJK SC", "Source Han Serif SC", "WenQuanYi Micro Hei"'
FONTS = {
    "title": f'"方正小标宋简体", "FZXiaoBiaoSong-B05S", "方正小标宋_GBK", {_FALLBACK}, serif',
    "body": f'"仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", {_FALLBACK}, serif',
    "hei": '"黑体", "SimHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif',
    "kai": f'"楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "AR PL KaitiM GB", "AR PL UKai CN", {_FALLBACK}, serif',
    "song": f'"宋体", "SimSun", {_FALLBACK}, serif',
}

_CSS = f"""
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm;
         @bottom-center {{ content: "— " counter(page) " —"; font-family: {FONTS['song']}; font-size: 14pt; }} }}
body {{ font-family: {FONTS['body']}; font-size: 16pt; line-height: 28.9pt; color: #000; margin: 0; }}
p {{ margin: 0; text-align: justify; }}
p.body {{ text-indent: 2em; }}
p.mark {{ font-family: {FONTS['hei']}; }}
p.office {{ font-family: {FONTS['title']}; color: #ff0000; font-size: 26pt; line-height: 48pt; text-align: center;
            margin-top: 10mm; letter-spacing: 0.05em; }}
p.number {{ text-align: center; margin-top: 28.9pt; padding-bottom: 4mm; border-bottom: 1.5pt solid #ff0000; }}
body.briefing p.office {{ margin-top: 0; line-height: 40pt; }}
body.briefing h1 {{ margin: 8pt 0; }}
body.briefing div.imprint {{ margin-top: 6pt; font-size: 12pt; line-height: 20pt; }}
p.number.briefing {{ margin-top: 10pt; padding-bottom: 0; border-bottom: none; }}
p.issuer {{ display: flex; justify-content: space-between; padding: 0 1em 2mm; border-bottom: 1.5pt solid #ff0000;
            text-align: left; }}
h1 {{ font-family: {FONTS['title']}; font-size: 22pt; line-height: 35pt; font-weight: normal; text-align: center;
      margin: 28.9pt 0; }}
h2 {{ font-family: {FONTS['hei']}; font-size: 16pt; font-weight: normal; margin: 0; text-indent: 2em; }}
h3 {{ font-family: {FONTS['kai']}; font-size: 16pt; font-weight: normal; margin: 0; text-indent: 2em; }}
p.addressees {{ text-align: left; }}
div.signature {{ margin-top: 57.8pt; text-align: right; }}
div.signature p {{ text-align: right; }}
p.signatory {{ margin-right: 2em; }}
p.date {{ margin-right: 4em; }}
section.attachment {{ page-break-before: always; }}
p.attachment-label {{ font-family: {FONTS['hei']}; }}
table {{ border-collapse: collapse; width: 100%; font-size: 10.5pt; line-height: 15pt; margin-top: 10pt; }}
th, td {{ border: 0.75pt solid #000; padding: 3pt 4pt; vertical-align: middle; }}
th {{ font-family: {FONTS['hei']}; font-weight: normal; text-align: center; }}
td.num {{ text-align: right; white-space: nowrap; }}
p.note {{ font-size: 10.5pt; line-height: 18pt; margin-top: 6pt; }}
div.imprint {{ margin-top: 28.9pt; font-size: 14pt; line-height: 25pt; }}
div.imprint.own-page {{ page-break-before: always; margin-top: 0; padding-top: 180mm; }}
div.imprint p {{ border-bottom: 0.75pt solid #000; padding: 2pt 1em; text-align: left; }}
div.imprint p:first-child {{ border-top: 0.75pt solid #000; }}
"""


def _attachment(i: int | None, a: Attachment) -> str:
    e = html.escape
    numeric = a.numeric or (False,) * len(a.columns)
    head = "".join(f"<th>{e(c)}</th>" for c in a.columns)
    rows = "".join("<tr>" + "".join(f'<td class="{"num" if n else ""}">{e(v)}</td>' for v, n in zip(row, numeric))
                   + "</tr>" for row in a.rows)
    note = f'<p class="note">注：{e(a.note)}</p>' if a.note else ""
    label = f"附件{i}" if i is not None else "附件"
    return (f'<section class="attachment"><p class="attachment-label">{label}</p><h1>{e(a.title)}</h1>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}</section>")


def document_html(d: Document, line_pt: float = 28.9) -> str:
    e = html.escape
    body = []
    for block in d.body:
        if isinstance(block, Heading):
            body.append(f"<h{block.level + 1}>{e(block.text)}</h{block.level + 1}>")
        elif isinstance(block, Paragraph):
            body.append(f'<p class="body">{e(block.text)}</p>')
    many = len(d.attachments) > 1
    attachments = "".join(_attachment(i if many else None, a) for i, a in enumerate(d.attachments, start=1))
    title = d.title + ("（预览，未发布）" if d.preview else "")
    if d.is_briefing:
        number = (f'<p class="number briefing">{e(d.number)}</p>'
                  f'<p class="issuer"><span>{e(d.signatory)}</span><span>{e(d.date_text)}</span></p>')
        signature, lines = "", (d.copy_to,)
    else:
        number = f'<p class="number">{e(d.number)}</p>'
        signature = (f'<div class="signature"><p class="signatory">{e(d.signatory)}</p>'
                     f'<p class="date">{e(d.date_text)}</p></div>')
        lines = (d.copy_to, f"{d.printer}\u3000\u3000{d.date_text}印发")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="author" content="{e(d.signatory)}"><title>{e(title)}</title><style>{_CSS}
body {{ line-height: {line_pt}pt; }}</style></head>
<body class="{'briefing' if d.is_briefing else ''}">
<p class="mark">{e(d.mark) or "&nbsp;"}</p>
<p class="office">{e(d.office_mark)}</p>
{number}
<h1>{e(title)}</h1>
{f'<p class="addressees">{e(d.addressees)}</p>' if d.addressees else ''}
{''.join(body)}
{signature}
{attachments}
<div class="imprint{' own-page' if d.attachments else ''}">{''.join(f"<p>{e(x)}</p>" for x in lines if x)}</div>
</body></html>"""


BRIEFING_LINES = (28.9, 27.0, 25.0, 23.0)   # the 专报 fits one page: the line pitch is narrowed when the text is long


def document_pdf(d: Document) -> bytes:
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    if not d.is_briefing:
        return HTML(string=document_html(d)).write_pdf()
    for line in BRIEFING_LINES:
        rendered = HTML(string=document_html(d, line)).render()
        if len(rendered.pages) == 1:
            break
    return rendered.write_pdf()
