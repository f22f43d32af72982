"""The submission template of the data contract: its columns, in order, with the field names used everywhere."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str     # as written in the contract (full-width brackets)
    key: str        # field name in the frame and the warehouse
    required: bool  # the column itself must be present in the header row


SUBMISSION_COLUMNS: tuple[Column, ...] = (
    Column("报送单位", "unit", True),
    Column("统计月份", "month", True),
    Column("项目编号", "project_id", True),
    Column("项目名称", "project_name", True),
    Column("所在县区", "county", False),
    Column("所属产业链", "chain", True),
    Column("投资方名称", "investor_name", True),
    Column("投资方统一社会信用代码", "investor_uscc", True),
    Column("投资方来源地", "investor_origin", False),
    Column("三个500强类别", "fortune500", True),
    Column("资金来源", "fund_source", True),
    Column("项目类型", "project_type", True),
    Column("签约日期", "signing_date", True),
    Column("签约金额（万元）", "signed_amount_wan", True),
    Column("计划总投资（万元）", "planned_investment_wan", True),
    Column("项目状态", "status", True),
    Column("开工日期", "start_date", True),
    Column("投产日期", "production_date", True),
    Column("本月到位资金（万元）", "funds_month_wan", True),
    Column("累计到位资金（万元）", "funds_cum_wan", True),
    Column("高新技术项目", "is_high_tech", True),
    Column("备注", "remark", False),
)
