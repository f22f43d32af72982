"""Publishing a quarter's ranking (preview → freeze), append-only.

Preview is `analytics.ranking.rank_quarter(snapshot, quarter)`; `publish(warehouse, ranking, config, by=...)`
freezes exactly that ranking: its inputs (indicator values per unit), the indicator-system version, the config's
sha256 and text, the data cut-off (snapshot identity, max received_at), the results, who and when, and a content
hash (sha256 over a canonical JSON). Rows are only ever inserted (migration 003): a correction is a new publication
that references the one it corrects, with the reason; both stay visible. Later data loads never touch them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import polars as pl

from analytics.publication import signoff
from analytics.ranking.composite import Ranking, rank_values
from analytics.ranking.indicator_config import IndicatorConfig, parse_indicator_config
from analytics.ranking.indicators import IndicatorValues
from core import clock
from core.periods import quarter_zh
from warehouse import store
from warehouse.queries import ranking as q
from warehouse.writes import publication as writes
from warehouse.writes import signoff as signoff_writes

# The fields covered by the content hash, in the order of the publications table.
HASHED_FIELDS = (
    "publication_id", "quarter", "group_id", "group_name", "published_at", "published_by", "note", "corrects",
    "incomplete_reason", "all_complete", "indicator_version", "config_sha256", "config_text", "method_version",
    "weight_scheme", "snapshot_identity", "data_cutoff", "inputs_json", "results_json", "request_key",
)


class PublicationRefused(ValueError):
    """A publish request that must not go through as asked (Chinese message saying what to do)."""


@dataclass(frozen=True)
class PublishOutcome:
    publication_id: str
    content_hash: str
    duplicate: bool          # True: an identical request was already published; nothing new was written
    corrects: str | None


@dataclass(frozen=True)
class Publication:
    """A stored publication: its metadata and the ranking exactly as published."""

    publication_id: str
    quarter: str
    published_at: dt.datetime
    published_by: str
    note: str | None
    corrects: str | None
    incomplete_reason: str | None
    content_hash: str
    config: IndicatorConfig
    ranking: Ranking


def canonical_json(obj) -> str:
    """Sorted keys, no spaces, UTF-8 text, no NaN: the same object always gives the same string."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False,
                      default=_json_default)


def _json_default(o):
    if isinstance(o, (dt.datetime, dt.date)):
        return o.isoformat()
    raise TypeError(f"无法序列化 {type(o).__name__}")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(record: dict, fields: tuple[str, ...] = HASHED_FIELDS) -> str:
    """sha256 over the canonical JSON of a publication's hashed fields (a quarterly publication's by default)."""
    return sha256_text(canonical_json({k: record[k] for k in fields}))


def clean_text(value: str | None) -> str | None:
    """A person's text as stored: stripped, and None when empty."""
    value = (value or "").strip()
    return value or None


def inputs_digest(ranking: Ranking) -> str:
    """sha256 of a ranking's inputs, whichever snapshot file they were read from: equal digests, same data."""
    return sha256_text(canonical_json({**ranking.inputs.to_dict(), "snapshot_identity": None}))


def publish(warehouse: str | None, ranking: Ranking, config: IndicatorConfig, *, by: str,
            note: str | None = None, incomplete_reason: str | None = None,
            at: dt.datetime | None = None, prepared_by_user: str | None = None) -> PublishOutcome:
    """Freeze a previewed ranking. Refuses (PublicationRefused) when:

    - the quarter (and group) already has a current publication and no `note` explains the correction;
    - some unit's data are incomplete and no `incomplete_reason` is given.
    An identical request repeated (a double click) returns the first publication with `duplicate=True`.
    """
    by, note, incomplete_reason = clean_text(by), clean_text(note), clean_text(incomplete_reason)
    if not by:
        raise PublicationRefused("请填写发布人")
    if not ranking.table["ranked"].any():
        raise PublicationRefused(f"{quarter_zh(ranking.quarter)}没有可发布的排名：各单位在指标期间均无报表")
    if config.sha256 != ranking.config_sha256:
        raise PublicationRefused("排名所用的指标体系配置与当前配置不一致，请重新预览后再发布")
    inputs = ranking.inputs.to_dict()
    inputs_json = canonical_json(inputs)
    results_json = canonical_json(ranking.results_dict())
    # The same data, results, person and texts make the same request, whichever snapshot file they were read from
    # (publishing itself writes a new snapshot, so a repeated click may come from a newer file with the same data).
    request_key = sha256_text(canonical_json({
        "quarter": ranking.quarter, "group_id": ranking.group_id,
        "inputs": inputs_digest(ranking),
        "results": sha256_text(results_json), "config_sha256": config.sha256, "by": by, "note": note,
        "incomplete_reason": incomplete_reason,
    }))
    with store.write_transaction(warehouse) as con:
        same = writes.find_by_request(con, request_key)
        if same:
            return PublishOutcome(same[0], same[1], True, same[2])
        current = writes.find_current(con, ranking.quarter, ranking.group_id)
        if current and not note:
            pid, who, when = current
            raise PublicationRefused(
                f"{quarter_zh(ranking.quarter)}（{ranking.group_name}）已发布：编号 {pid}，{who} 于 {when:%Y-%m-%d %H:%M} 发布。"
                "如需更正，请填写更正说明后重新发布；原发布将保留并标注为已更正。")
        if not ranking.all_complete and not incomplete_reason:
            missing = "；".join(f"{r['unit_name']}（缺{r['missing_months']}报表）"
                               for r in ranking.incomplete_units().iter_rows(named=True))
            raise PublicationRefused(f"以下单位数据不完整：{missing}。如确需发布，请填写发布理由。")
        seq = writes.count_for_quarter(con, ranking.quarter) + 1
        record = {
            "publication_id": f"{ranking.quarter}-{seq:02d}",
            "quarter": ranking.quarter,
            "group_id": ranking.group_id,
            "group_name": ranking.group_name,
            "published_at": (at or clock.now_local()).isoformat(),
            "published_by": by,
            "note": note,
            "corrects": current[0] if current else None,
            "incomplete_reason": incomplete_reason,
            "all_complete": ranking.all_complete,
            "indicator_version": config.version,
            "config_sha256": config.sha256,
            "config_text": config.text,
            "method_version": ranking.engine_version,
            "weight_scheme": ranking.weight_scheme,
            "snapshot_identity": ranking.snapshot_identity,
            "data_cutoff": ranking.data_cutoff.isoformat() if ranking.data_cutoff else None,
            "inputs_json": inputs_json,
            "results_json": results_json,
            "request_key": request_key,
        }
        record["content_hash"] = content_hash(record)
        rows = ranking.table.select(*writes.PUBLISHED_ROW_COLUMNS[1:])
        writes.insert_publication(con, record, [*HASHED_FIELDS, "content_hash"], list(rows.iter_rows()))
        # Sign-off (analytics/publication/signoff.py): prepared now; published once a leader approves it.
        signoff_writes.record_prepared(con, record["publication_id"], "quarterly", prepared_by_user or by,
                                       record["published_at"], signoff.one_person())
    return PublishOutcome(record["publication_id"], record["content_hash"], False, record["corrects"])


def _record(snapshot: store.Source, publication_id: str) -> dict:
    rows = q.publication_record(snapshot, publication_id)
    if rows.is_empty():
        raise KeyError(f"没有编号为 {publication_id} 的发布")
    r = rows.row(0, named=True)
    for k in ("published_at", "data_cutoff"):
        r[k] = r[k].isoformat() if r[k] is not None else None
    return r


def load_publication(snapshot: store.Snapshot, publication_id: str) -> Publication:
    """A stored publication with its ranking exactly as published (for display and export)."""
    r = _record(snapshot, publication_id)
    config = parse_indicator_config(r["config_text"], f"发布 {publication_id} 的配置", r["config_sha256"])
    inputs = IndicatorValues.from_dict(json.loads(r["inputs_json"]))
    return Publication(
        publication_id=r["publication_id"], quarter=r["quarter"],
        published_at=dt.datetime.fromisoformat(r["published_at"]), published_by=r["published_by"],
        note=r["note"], corrects=r["corrects"], incomplete_reason=r["incomplete_reason"],
        content_hash=r["content_hash"], config=config,
        ranking=Ranking.from_results(json.loads(r["results_json"]), inputs, config),
    )


def verify_publication(snapshot: store.Source, publication_id: str) -> bool:
    """True when the stored content hash matches the stored content, the config text matches its sha256, and the
    per-unit rows equal the stored results."""
    r = _record(snapshot, publication_id)
    if content_hash(r) != r["content_hash"] or sha256_text(r["config_text"]) != r["config_sha256"]:
        return False
    cols = ("unit_code", "score", "rank", "rank_median", "rank_q05", "rank_q95", "complete", "flags")
    stored = sorted(tuple(t[c] for c in cols) for t in json.loads(r["results_json"])["table"])
    rows = sorted(q.published_ranking(snapshot, publication_id).select(cols).iter_rows())
    return stored == rows


def recompute_publication(snapshot: store.Snapshot, publication_id: str) -> Ranking:
    """Re-run the ranking from the publication's stored inputs and config (to show it is reproducible)."""
    pub = load_publication(snapshot, publication_id)
    return rank_values(pub.ranking.inputs, pub.config, pub.ranking.weight_scheme)


def publication_list(snapshot: store.Snapshot) -> pl.DataFrame:
    """Every publication (mart_publication, newest first) with `verified`: whether it passes `verify_publication`."""
    with store.session(snapshot) as con:
        pubs = q.publications(con)
        verified = [verify_publication(con, pid) for pid in pubs["publication_id"]]
    return pubs.with_columns(verified=pl.Series(verified, dtype=pl.Boolean))
