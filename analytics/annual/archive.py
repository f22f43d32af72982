"""Publishing the annual assessment (年终总评), frozen and reproducible like a quarterly publication.

`publish_annual(warehouse, assessment, config, by=...)` freezes exactly the assessment previewed: its inputs (each
quarter's indicator scores and where they came from, the year's deduction counts, the 半年督查 scores and the
加分/扣分 entries), the annual method's version, sha256 and text, the results and a content hash. Rows are only
inserted (migration 007): a correction is a new publication that names the one it corrects, with the reason.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from analytics.annual.engine import (
    BREAKDOWN_SCHEMA,
    TABLE_SCHEMA,
    AnnualAssessment,
    AnnualInputs,
    assess,
    assess_year,
)
from analytics.annual.settings import AnnualConfig, load_annual_config, parse_annual_config
from analytics.publication import signoff
from analytics.publication.archive import (
    PublicationRefused,
    PublishOutcome,
    canonical_json,
    clean_text,
    content_hash,
    sha256_text,
)
from core import clock
from warehouse import store
from warehouse.queries import annual as q
from warehouse.writes import annual as writes
from warehouse.writes import signoff as signoff_writes

HASHED_FIELDS = (
    "publication_id", "year", "group_id", "group_name", "published_at", "published_by", "note", "corrects",
    "incomplete_reason", "all_complete", "annual_version", "config_sha256", "config_text", "method_version",
    "inputs_json", "results_json", "request_key",
)


@dataclass(frozen=True)
class AnnualPublication:
    publication_id: str
    year: int
    published_at: dt.datetime
    published_by: str
    note: str | None
    corrects: str | None
    incomplete_reason: str | None
    content_hash: str
    config: AnnualConfig
    assessment: AnnualAssessment


def publish_annual(warehouse, assessment: AnnualAssessment, config: AnnualConfig, *, by: str,
                   note: str | None = None, incomplete_reason: str | None = None, at: dt.datetime | None = None,
                   prepared_by_user: str | None = None) -> PublishOutcome:
    """Freeze a previewed annual assessment (prepared: with two-person sign-off it waits for a leader's 签批).

    Refused (PublicationRefused, Chinese) when: nothing is ranked; the method changed since the preview; a unit's
    半年督查 score is missing; the year is already published and no `note` explains the correction; some unit's
    result is incomplete and no `incomplete_reason` is given. An identical request returns the first publication.
    """
    by, note, incomplete_reason = clean_text(by), clean_text(note), clean_text(incomplete_reason)
    year = assessment.year
    if not by:
        raise PublicationRefused("请填写发布人")
    if not assessment.table["ranked"].any():
        raise PublicationRefused(f"{year}年度没有可发布的考核结果")
    if config.sha256 != assessment.config_sha256:
        raise PublicationRefused("年度考核结果所用的考核办法配置与当前配置不一致，请重新预览后再发布")
    lacking = assessment.missing_supervision()
    if lacking and config.supervision_share > 0:
        raise PublicationRefused(f"以下单位的半年督查结果尚未录入：{'、'.join(lacking)}。请先录入后再发布。")
    inputs_json = canonical_json(assessment.inputs.to_dict())
    results_json = canonical_json(assessment.results_dict())
    request_key = sha256_text(canonical_json({
        "year": year, "group_id": assessment.group_id, "inputs": sha256_text(inputs_json),
        "results": sha256_text(results_json), "config_sha256": config.sha256, "by": by, "note": note,
        "incomplete_reason": incomplete_reason}))
    with store.write_transaction(warehouse) as con:
        same = writes.find_by_request(con, request_key)
        if same:
            return PublishOutcome(same[0], same[1], True, same[2])
        current = writes.find_current(con, year, assessment.group_id)
        if current and not note:
            pid, who, when = current
            raise PublicationRefused(
                f"{year}年度考核结果（{assessment.group_name}）已发布：编号 {pid}，{who} 于 {when:%Y-%m-%d %H:%M} 发布。"
                "如需更正，请填写更正说明后重新发布；原发布将保留并标注为已更正。")
        if not assessment.all_complete and not incomplete_reason:
            problems = "；".join(f"{r['unit_name']}（{r['flags']}）" for r in
                                assessment.table.filter(~pl.col("complete")).iter_rows(named=True))
            raise PublicationRefused(f"以下单位的年度结果不完整：{problems}。如确需发布，请填写发布理由。")
        record = {
            "publication_id": f"{year}-A-{writes.count_for_year(con, year) + 1:02d}",
            "year": year, "group_id": assessment.group_id, "group_name": assessment.group_name,
            "published_at": (at or clock.now_local()).isoformat(), "published_by": by, "note": note,
            "corrects": current[0] if current else None, "incomplete_reason": incomplete_reason,
            "all_complete": assessment.all_complete, "annual_version": config.version,
            "config_sha256": config.sha256, "config_text": config.text, "method_version": assessment.engine_version,
            "inputs_json": inputs_json, "results_json": results_json, "request_key": request_key,
        }
        record["content_hash"] = content_hash(record, HASHED_FIELDS)
        rows = [(r["unit_code"], r["unit_name"], r["score_exact"], r["rank"], r["grade"], r["complete"], r["flags"])
                for r in assessment.table.iter_rows(named=True)]
        writes.insert_publication(con, record, [*HASHED_FIELDS, "content_hash"], rows)
        signoff_writes.record_prepared(con, record["publication_id"], "annual", prepared_by_user or by,
                                       record["published_at"], signoff.one_person())
    return PublishOutcome(record["publication_id"], record["content_hash"], False, record["corrects"])


def _record(source: store.Source, publication_id: str) -> dict:
    rows = q.publication_record(source, publication_id)
    if rows.is_empty():
        raise KeyError(f"没有编号为 {publication_id} 的年度考核发布")
    r = rows.row(0, named=True)
    r["published_at"] = r["published_at"].isoformat()
    return r


def load_annual_publication(snapshot: store.Source, publication_id: str) -> AnnualPublication:
    """A stored annual publication exactly as published (not recomputed)."""
    r = _record(snapshot, publication_id)
    config = parse_annual_config(r["config_text"], f"发布 {publication_id} 的配置", r["config_sha256"])
    inputs = AnnualInputs.from_dict(json.loads(r["inputs_json"]))
    results = json.loads(r["results_json"])
    assessment = AnnualAssessment(
        year=r["year"], group_id=r["group_id"], group_name=r["group_name"], config_version=config.version,
        config_sha256=config.sha256, engine_version=results["engine_version"], method_text=config.method_text,
        table=pl.DataFrame(results["table"], schema=TABLE_SCHEMA),
        breakdown=pl.DataFrame(results["breakdown"], schema=BREAKDOWN_SCHEMA), inputs=inputs)
    return AnnualPublication(r["publication_id"], r["year"], dt.datetime.fromisoformat(r["published_at"]),
                             r["published_by"], r["note"], r["corrects"], r["incomplete_reason"], r["content_hash"],
                             config, assessment)


def verify_annual_publication(source: store.Source, publication_id: str) -> bool:
    """True when the stored hash matches the stored content, the config text its sha256, and the rows the results."""
    r = _record(source, publication_id)
    if content_hash(r, HASHED_FIELDS) != r["content_hash"] or sha256_text(r["config_text"]) != r["config_sha256"]:
        return False
    stored = sorted((t["unit_code"], t["score_exact"], t["rank"], t["grade"], t["complete"], t["flags"])
                    for t in json.loads(r["results_json"])["table"])
    rows = sorted((x["unit_code"], None if x["score"] is None else format(x["score"].normalize(), "f"), x["rank"],
                   x["grade"], x["complete"], x["flags"]) for x in q.published_rows(source, publication_id)
                  .iter_rows(named=True))
    norm = sorted((u, None if s is None else format(Decimal(s).normalize(), "f"), k, g, c, f)
                  for u, s, k, g, c, f in stored)
    return norm == rows


def recompute_annual_publication(snapshot: store.Source, publication_id: str) -> AnnualAssessment:
    """Re-run the annual engine on the publication's stored inputs and method (to show it is reproducible)."""
    pub = load_annual_publication(snapshot, publication_id)
    return assess(pub.assessment.inputs, pub.config)


def annual_publication_list(snapshot: store.Snapshot) -> pl.DataFrame:
    with store.session(snapshot) as con:
        pubs = q.publications(con)
        verified = [verify_annual_publication(con, pid) for pid in pubs["publication_id"]]
    return pubs.with_columns(verified=pl.Series(verified, dtype=pl.Boolean))


def annual_listing(snapshot: store.Snapshot) -> pl.DataFrame:
    """Every annual publication with its verification and sign-off status (analytics/publication/signoff.py)."""
    pubs = annual_publication_list(snapshot)
    return signoff.with_status(pubs, signoff.signoff_table(snapshot)) if pubs.height else pubs


def annual_preview(snapshot: store.Snapshot, year: int) -> AnnualAssessment:
    """The year's assessment on current data with the configured method (config/annual.toml)."""
    return assess_year(snapshot, year, load_annual_config())
