"""The integrity check of published results (issue 15): `python -m analytics verify` and the 季度排名发布 page.

Three checks, each a Chinese sentence when it fails:
1. the keyed hash chain (warehouse/chain.py): edited, deleted and forged records, a broken or truncated chain;
2. each publication's own content hash and rows (archive.verify_publication / verify_annual_publication);
3. each publication recomputed from its stored inputs and method, compared with the stored results.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from analytics.annual.archive import (
    load_annual_publication,
    recompute_annual_publication,
    verify_annual_publication,
)
from analytics.publication.archive import load_publication as _load_quarterly
from analytics.publication.archive import recompute_publication, verify_publication
from warehouse import chain, store
from warehouse.queries import annual as annual_q
from warehouse.queries import ranking as ranking_q


@dataclass
class IntegrityReport:
    """Problems as (publication_id or None for the whole log, Chinese sentence); `checked`: the publications seen."""

    checked: list[str] = field(default_factory=list)
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    chain_entries: int = 0
    legacy: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def failed_ids(self) -> set[str]:
        return {pid for pid, _ in self.problems if pid}

    def status(self, publication_id: str) -> bool:
        """True when nothing is wrong with this publication nor with the log as a whole."""
        return not any(pid in (None, publication_id) for pid, _ in self.problems)

    def messages(self) -> list[str]:
        return [m for _, m in self.problems]

    def to_dict(self) -> dict:
        return {"ok": self.ok, "checked": self.checked, "chain_entries": self.chain_entries, "legacy": self.legacy,
                "problems": [{"publication_id": p, "message": m} for p, m in self.problems]}


def _rows(table, cols) -> list[tuple]:
    return sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in r)
                  for r in table.select(cols).iter_rows())


def _recomputes_quarterly(con, pid: str) -> bool:
    cols = ("unit_code", "score", "rank", "complete")
    return _rows(recompute_publication(con, pid).table, cols) == _rows(_load_quarterly(con, pid).ranking.table, cols)


def _recomputes_annual(con, pid: str) -> bool:
    cols = ("unit_code", "score_exact", "rank", "grade", "complete")
    return (_rows(recompute_annual_publication(con, pid).table, cols)
            == _rows(load_annual_publication(con, pid).assessment.table, cols))


def _check_one(con, kind: str, pid: str) -> list[str]:
    verify, recompute = ((verify_publication, _recomputes_quarterly) if kind == "quarterly"
                         else (verify_annual_publication, _recomputes_annual))
    out = []
    try:
        if not verify(con, pid):
            out.append(f"发布 {pid} 的内容与其内容摘要或逐单位结果不一致")
        if not recompute(con, pid):
            out.append(f"发布 {pid} 按其存档的输入和方法复算，结果与发布结果不一致")
    except Exception as exc:  # noqa: BLE001 - a record too damaged to read is itself the finding
        out.append(f"发布 {pid} 无法读取或复算（{type(exc).__name__}）")
    return out


def check(source: store.Source, publication_id: str | None = None, head: bool = False) -> IntegrityReport:
    """Run all three checks on a snapshot or an open connection; `publication_id` limits checks 2–3 (and the
    chain's per-record findings) to that publication; problems of the chain as a whole are always reported. `head`:
    compare with the chain's head file too (the warehouse file under the writer lock, not a snapshot)."""
    report = IntegrityReport()
    with store.session(source) as con:
        try:
            ch = chain.verify(con, head=head)
        except chain.KeyMissing as exc:
            ch = chain.ChainReport(problems=[(None, str(exc))])
        report.chain_entries, report.legacy = ch.entries, ch.legacy
        report.problems += ch.problems
        pubs = [("quarterly", p) for p in ranking_q.publications(con)["publication_id"]]
        pubs += [("annual", p) for p in annual_q.publications(con)["publication_id"]]
        if publication_id is not None:
            pubs = [(k, p) for k, p in pubs if p == publication_id]
            report.problems = [(p, m) for p, m in report.problems if p in (None, publication_id)]
            if not pubs and not report.problems:
                report.problems.append((publication_id, f"没有编号为 {publication_id} 的发布"))
        for kind, pid in pubs:
            report.checked.append(pid)
            report.problems += [(pid, m) for m in _check_one(con, kind, pid)]
    return report


def check_snapshot(snapshot: store.Snapshot) -> IntegrityReport:
    """For pages: `data.load(check_snapshot)` caches the check per snapshot."""
    return check(snapshot)
