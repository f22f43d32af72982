"""Two-person sign-off (签批) of publications, quarterly and annual.

An administrator prepares a publication (`archive.publish` / `annual.archive.publish_annual` freeze it and record
the 'prepared' step); it is published only when a leader approves it with `approve(...)`. The preparer can never
approve their own publication. One-person publishing (config/publication.toml `two_person = false`) records both
steps at preparation. Every approval and refusal is audited (warehouse/accounts.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import polars as pl
from pydantic import Field

from core import clock, config
from core.config import Strict
from core.roles import User
from warehouse import accounts, store
from warehouse.queries import ranking as ranking_queries
from warehouse.queries import signoff as q
from warehouse.writes import signoff as writes

WHAT = "发布签批配置"
PERMISSION = "approve_publication"
KINDS = {"quarterly": "季度排名", "annual": "年度考核结果"}


class _Signoff(Strict):
    two_person: bool = Field(True, title="双人签批 two_person")


class _PublicationFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    signoff: _Signoff = _Signoff()


@lru_cache(maxsize=4)
def _settings(path: str | None) -> _PublicationFile:
    return config.read_model(path or "publication.toml", _PublicationFile, WHAT)


def one_person(path: str | None = None) -> bool:
    """Whether a publication is published as soon as it is prepared (off by default: two persons)."""
    return not _settings(path).signoff.two_person


class ApprovalRefused(ValueError):
    """An approval that must not go through (Chinese message saying why and what to do)."""


@dataclass(frozen=True)
class Approval:
    publication_id: str
    kind: str
    prepared_by: str
    approved_by: str
    approved_at: dt.datetime


def approve(warehouse, publication_id: str, user: User, *, at: dt.datetime | None = None, via: str = "") -> Approval:
    """A leader approves a prepared publication: from now on it is published. Audited, refusals too (`via`: how,
    e.g. the command line and its operating-system user)."""
    pid = (publication_id or "").strip()
    try:
        if not user.can(PERMISSION):
            raise ApprovalRefused(f"签批需要领导账户：{user.display_name}（{user.role_label}）没有“签批发布”权限")
        with store.write_transaction(warehouse) as con:
            row = writes.status(con, pid)
            if row is None:
                raise ApprovalRefused(f"没有编号为 {pid} 的发布，请核对发布编号")
            kind, prepared_by, approved_by, approved_at, corrected_by = row
            if approved_by is not None:
                raise ApprovalRefused(f"发布 {pid} 已由 {approved_by} 于 {approved_at:%Y-%m-%d %H:%M} 签批，无需再次签批")
            if prepared_by.strip().lower() == user.username.strip().lower():
                raise ApprovalRefused(f"发布 {pid} 由您（{prepared_by}）准备，不能由本人签批：须由另一位领导签批")
            if corrected_by:
                raise ApprovalRefused(f"发布 {pid} 已被 {corrected_by} 更正，请签批更正后的发布")
            when = at or clock.now_local()
            writes.record_approved(con, pid, kind, user.username, when)
    except ApprovalRefused as refused:
        accounts.audit("approve_refused", user, f"{pid}：{refused}{via}", warehouse=warehouse)
        raise
    accounts.audit("approve", user, f"签批{KINDS[kind]}发布 {pid}（准备人 {prepared_by}），自此正式发布{via}",
                   warehouse=warehouse)
    return Approval(pid, kind, prepared_by, user.username, when)


def with_status(pubs: pl.DataFrame, signoffs: pl.DataFrame) -> pl.DataFrame:
    """A publication list (with publication_id, corrects, is_current) plus its sign-off: prepared_by,
    approved_by, approved_at, approved, status (待签批 / 已发布 / 已被更正 / 已作废), and `current_published`: the
    one readers see — approved and not corrected by an approved publication."""
    s = signoffs.select("publication_id", "prepared_by", "approved_by", "approved_at", "approved")
    out = pubs.join(s, on="publication_id", how="left").with_columns(pl.col("approved").fill_null(False))
    approved = set(out.filter(pl.col("approved"))["publication_id"])
    corrected_ok = {c for c, pid in out.select("corrects", "publication_id").iter_rows() if c and pid in approved}
    return out.with_columns(
        current_published=pl.col("approved") & ~pl.col("publication_id").is_in(list(corrected_ok)),
        status=pl.when(pl.col("publication_id").is_in(list(corrected_ok))).then(pl.lit("已被更正"))
        .when(pl.col("approved")).then(pl.lit("已发布"))
        .when(pl.col("is_current")).then(pl.lit("待签批"))
        .otherwise(pl.lit("已作废（未签批即被更正）")))


def signoff_table(snapshot: store.Source) -> pl.DataFrame:
    return q.signoffs(snapshot)


def current_published_id(snapshot: store.Source, quarter: str, group_id: str) -> str | None:
    """The quarter's current published ranking of the group — published = approved (a prepared one is not yet)."""
    pubs = ranking_queries.publications(snapshot, quarter)
    if pubs.is_empty():
        return None
    current = with_status(pubs, signoff_table(snapshot)).filter(
        pl.col("current_published") & (pl.col("group_id") == group_id))
    return current["publication_id"][0] if current.height else None


def approved_ids(snapshot: store.Source) -> set[str]:
    return q.approved_ids(snapshot)
