"""核减: a verified discrepancy corrects the unit's 到位资金 from then on.

An administrator records a 核减 on one verification record (抽样核查结果 存在差异): by default the reported
累计到位资金 minus the verified amount, booked in the checked figure's data month. From the next snapshot on,
fact_project_month and mart_unit_month (migration 031) give 到位资金 net of it, so targets, bulletins and the
ranking use the corrected amount; the reported amounts stay (reported_* columns) and every 核减 names its record.
Publications made before keep their frozen inputs and hashes. Refused with a Chinese message, nothing written: no
permission, no such record, a conclusion other than 存在差异, an amount not above 0 or above the reported amount,
the same record twice.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl

from core import catalog, clock, periods
from core.roles import User
from warehouse import accounts, store
from warehouse.queries import deductions as queries
from warehouse.writes import deductions as writes

PERMISSION = "import_results"


class DeductionRefused(ValueError):
    """A 核减 that must not be recorded (Chinese message saying what to fix)."""


def _amount(text) -> Decimal:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        raise DeductionRefused(f"核减金额应为数字（万元），收到“{text}”") from None
    if not value.is_finite():
        raise DeductionRefused(f"核减金额应为数字（万元），收到“{text}”")
    return value


def record_deduction(warehouse, sample_id: str, unit_code: str, project_id: str, user: User, amount=None,
                     note: str | None = None) -> str:
    """Record the 核减 of one verification record; returns its id."""
    if not user.can(PERMISSION):
        raise DeductionRefused(f"无权核减：{user.display_name}（{user.role_label}）没有“导入核查结果”权限")
    deduction_id = f"K-{sample_id}-{unit_code}-{project_id}"
    with store.write_transaction(warehouse) as con:
        rec = writes.verification_record(con, sample_id, unit_code, project_id)
        if rec is None:
            raise DeductionRefused(f"没有样本 {sample_id} 中 {catalog.unit_name(unit_code)} 项目 {project_id} 的核查结果")
        if rec["outcome"] != "存在差异":
            raise DeductionRefused(f"该项目核查结论为“{rec['outcome']}”，只有“存在差异”的项目可以核减")
        if writes.exists(con, deduction_id):
            raise DeductionRefused(f"该核查记录已核减（{deduction_id}），同一记录不重复核减")
        found = writes.reported_month(con, unit_code, project_id, periods.quarter_months(rec["quarter"])[-1])
        if found is None:
            raise DeductionRefused(f"{periods.quarter_zh(rec['quarter'])}及以前没有项目 {project_id} 的报送记录")
        month, reported = found
        verified = rec["verified_amount_wan"]
        if amount is None or str(amount).strip() == "":
            if verified is None:
                raise DeductionRefused("核查结果未给出核实金额，请填写核减金额（万元）")
            value = reported - verified
        else:
            value = _amount(amount)
        if value <= 0:
            raise DeductionRefused(f"核减金额应大于 0 万元（报送 {reported} 万元，核实 {verified} 万元）")
        if value > reported:
            raise DeductionRefused(f"核减金额 {value} 万元大于报送的累计到位资金 {reported} 万元，不能核减")
        note = (note or "").strip() or (rec["note"] or f"依据抽样核查结果 {sample_id}")
        writes.insert(con, [deduction_id, sample_id, unit_code, project_id, month, reported, verified, value, note,
                            user.username, clock.now_local()])
    accounts.audit("deduction", user, f"核减 {catalog.unit_name(unit_code)} 项目 {project_id} "
                                      f"{periods.month_label(month)}到位资金 {value} 万元（报送累计 {reported} 万元，"
                                      f"依据核查记录 {sample_id}；{deduction_id}）", warehouse=warehouse)
    return deduction_id


def deduction_table(snapshot) -> pl.DataFrame:
    """Every 核减 with its verification record (报送 / 核实 / 核减, month, who, when)."""
    return queries.deductions(snapshot).with_columns(
        unit_name=pl.col("unit_code").map_elements(catalog.unit_name, return_dtype=pl.String))


def candidate_table(snapshot) -> pl.DataFrame:
    """存在差异 records that have no 核减 yet."""
    return queries.candidates(snapshot).with_columns(
        unit_name=pl.col("unit_code").map_elements(catalog.unit_name, return_dtype=pl.String))
