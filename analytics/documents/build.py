"""One entry point: build a document of a kind for a period and render it as .docx or PDF."""
from __future__ import annotations

import datetime as dt
import re

from analytics.documents.annual import annual_document
from analytics.documents.briefing import briefing_document
from analytics.documents.docx_builder import document_docx
from analytics.documents.model import VERSIONS, Document
from analytics.documents.monthly import monthly_document
from analytics.documents.pdf_builder import document_pdf
from analytics.documents.quarterly import quarterly_document
from analytics.documents.settings import KINDS, DocumentSettings, load_document_settings
from core import clock, periods
from warehouse.store import Snapshot

FORMATS = {"docx": "Word 文档", "pdf": "PDF"}
MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")
PERIOD_EXAMPLES = {"monthly": "2025-09", "briefing": "2025-09", "quarterly": "2025Q3", "annual": "2025"}


def parse_period(kind: str, text: str) -> dt.date | str | int:
    """The period a kind is about: a month (monthly, briefing), a quarter (quarterly) or a year (annual)."""
    if kind not in KINDS:
        raise ValueError(f"未知的公文种类“{kind}”，可选：" + "、".join(f"{k}（{v}）" for k, v in KINDS.items()))
    example = PERIOD_EXAMPLES[kind]
    if kind == "quarterly":
        try:
            year, q = periods.parse_quarter(text)
        except ValueError:
            raise ValueError(f"{KINDS[kind]}的期间应为季度，如 {example}，收到“{text}”") from None
        return periods.quarter_label(year, q)
    m = (_MONTH if kind in ("monthly", "briefing") else _YEAR).match(text or "")
    if not m or (kind != "annual" and not 1 <= int(m.group(2)) <= 12):
        raise ValueError(f"{KINDS[kind]}的期间应写作 {example}，收到“{text}”")
    return dt.date(int(m.group(1)), int(m.group(2)), 1) if kind != "annual" else int(m.group(1))


def build_document(snapshot: Snapshot, kind: str, period: str, version: str = "public", *,
                   settings: DocumentSettings | None = None, number: int | None = None,
                   date: dt.date | None = None) -> Document:
    if version not in VERSIONS:
        raise ValueError(f"未知的版本“{version}”，可选：public（公开版）、internal（内部版）")
    when = parse_period(kind, period)
    settings = settings or load_document_settings()
    options = dict(version=version, number=number, date=date or clock.today())
    if kind == "monthly":
        return monthly_document(snapshot, when, settings, **options)
    if kind == "briefing":
        return briefing_document(snapshot, when, settings, **options)
    if kind == "quarterly":
        return quarterly_document(snapshot, when, settings, **options)
    return annual_document(snapshot, when, settings, **options)


def render(document: Document, fmt: str) -> bytes:
    if fmt == "docx":
        return document_docx(document)
    if fmt == "pdf":
        return document_pdf(document)
    raise ValueError(f"未知的文件格式“{fmt}”，可选：docx、pdf")


def file_name(document: Document, fmt: str) -> str:
    return f"{document.title}（{VERSIONS[document.version]}）.{fmt}"


def document_bytes(snapshot: Snapshot, kind: str, period: str, version: str, fmt: str) -> bytes:
    """The document file (for a page's download button: built when clicked, 文号 left blank, dated today)."""
    return render(build_document(snapshot, kind, period, version), fmt)
