"""What every document kind shares: section headings in 公文 numbering, the 版头/版记 fields, table cells."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from analytics.documents.model import INTERNAL, Attachment, Document, Heading, Paragraph, Sentence, round_1
from analytics.documents.settings import DocumentSettings
from core import money

NUMERALS = "一二三四五六七八九十"
POLICY = "《关于新形势下进一步加强招商引资工作的意见》（甘办发〔2024〕6号）"


def heading(i: int, text: str) -> Heading:
    """一级标题: 一、二、…"""
    return Heading(1, f"{NUMERALS[i] if i < 10 else '十' + NUMERALS[i - 10]}、{text}")


def paragraph(sentences: list[Sentence]) -> Paragraph:
    return Paragraph(tuple(sentences))


def text(line: str) -> Paragraph:
    return Paragraph((Sentence(line),))


class Body:
    """Collects headings and paragraphs, numbering the headings in order."""

    def __init__(self) -> None:
        self.blocks: list[Heading | Paragraph] = []
        self.sections = 0

    def section(self, title: str, *paragraphs: list[Sentence] | Paragraph) -> None:
        self.blocks.append(heading(self.sections, title))
        self.sections += 1
        for p in paragraphs:
            self.blocks.append(p if isinstance(p, Paragraph) else paragraph(p))

    def add(self, p: list[Sentence] | Paragraph) -> None:
        self.blocks.append(p if isinstance(p, Paragraph) else paragraph(p))


def top_and_bottom(items: list, fmt) -> str | None:
    """“居前三位的是…；居后三位的是…” over an ordered list (fewer than six: 两位/一位; fewer than two: None)."""
    k = min(3, len(items) // 2)
    if k < 1:
        return None
    n = {1: "一", 2: "两", 3: "三"}[k]
    return (f"居前{n}位的是{'、'.join(fmt(x) for x in items[:k])}；"
            f"居后{n}位的是{'、'.join(fmt(x) for x in items[-k:])}")


def attachment_note(attachments: list[Attachment]) -> list[Paragraph]:
    """附件说明 (GB/T 9704 §7.3.4): 附件：1．… with the later items aligned under the first (one attachment: 附件：…)."""
    if len(attachments) == 1:
        return [text(f"附件：{attachments[0].title}")]
    lead = ("附件：", "\u3000" * 3)
    return [text(f"{lead[i > 1]}{i}．{a.title}") for i, a in enumerate(attachments, start=1)]


def document(kind: str, version: str, settings: DocumentSettings, *, year: int, number: int | None, title: str,
             body: Body, attachments: list[Attachment], date: dt.date, preview: bool = False,
             addressees: bool = True) -> Document:
    k = settings.kind(kind)
    blocks = [*body.blocks, *attachment_note(attachments)]
    briefing = kind == "briefing"
    return Document(
        kind=kind, version=version, mark="内部资料　注意保存" if version == INTERNAL else "",
        office_mark=k.mark if briefing else settings.office_mark,
        number=settings.number(kind, year, number), title=title,
        addressees=("、".join(k.addressees) + "：") if addressees and not briefing else "",
        body=tuple(blocks), attachments=tuple(attachments), signatory=settings.signatory, date=date,
        copy_to=("报：" + "，".join(k.addressees)) if briefing else (
            ("抄送：" + "，".join(settings.copy_to)) if settings.copy_to else ""),
        printer=settings.printer, preview=preview,
    )


# --------------------------------------------------------------------------- table cells

def cell_yi(wan: Decimal | None) -> str:
    return "—" if wan is None else f"{money.wan_to_yi(wan)}"


def cell_pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{round_1(value * 100)}"


def cell_points(value: Decimal | None) -> str:
    return "—" if value is None else f"{round_1(value):+}"


def cell_int(n: int | None) -> str:
    return "—" if n is None else str(int(n))
