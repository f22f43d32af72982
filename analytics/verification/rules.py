"""The risk rules of 抽样核查 (docs/METHODS.md §2), one module per rule family, gathered here.

    signals.py          the signals frame, RuleContext, formatting
    rules_records.py    the reported money and the loader's warnings (consistency, invalid USCC, 500强 claims)
    rules_patterns.py   timing and digit patterns of the monthly funds
    rules_identity.py   the same deal counted twice; the 500强 group/subsidiary rule
    rules_lifecycle.py  stalled projects, money on projects that have not started

Every rule returns a signals frame (SIGNAL_SCHEMA); `analytics.verification.scoring` weighs and combines them.
"""
from __future__ import annotations

from analytics.targets import lifecycle
from analytics.verification import rules_claims, rules_identity, rules_lifecycle, rules_patterns, rules_records
from analytics.verification.rules_identity import bigrams, dice, listed_parent
from analytics.verification.rules_lifecycle import STALL_CODES
from analytics.verification.rules_patterns import (
    benford_periods,
    digit_verdicts,
    unit_benford,
    unit_patterns,
    window_label,
)
from analytics.verification.signals import FAMILIES, FAMILY_ZH, KEY, SIGNAL_SCHEMA, RuleContext, fmt_wan, noisy_or

__all__ = [
    "FAMILIES", "FAMILY_ZH", "KEY", "RULES", "RULE_ZH", "SIGNAL_SCHEMA", "RuleContext", "benford_periods", "bigrams",
    "dice", "digit_verdicts", "fmt_wan", "listed_parent", "noisy_or", "unit_benford", "unit_patterns",
    "window_label",
]

# Short Chinese names of the rule codes (for precision tables and filters).
RULE_ZH = {
    "cum_mismatch": "累计与当月到位资金不符",
    "negative_month_funds": "本月到位资金为负",
    "cum_above_signed": "累计到位资金超过签约金额",
    "start_before_signing": "开工日期早于签约日期",
    "status_backwards": "项目状态倒退",
    "cum_decrease": "累计到位资金减少",
    "uscc_check_digit": "统一社会信用代码校验位错误",
    "five_hundred_unverified": "500强身份不在名录中",
    "late_upward_revision": "逾期上调历史月份资金",
    "quarter_end_bunching": "资金集中在季末月",
    "round_numbers": "整数金额偏多",
    "benford_bins": "首两位数字偏离本福特分布",
    "repeated_amount": "反复填报相同金额",
    "duplicate_across_units": "跨单位重复填报",
    "duplicate_name_across_units": "跨单位同名项目",
    "same_investor_same_amount": "同一投资方同额项目",
    "similar_project_same_investor": "同一投资方名称相近项目",
    "repeat_signing": "疑似重复签约",
    "repeat_signing_original": "被重复签约的原项目",
    "repeat_signing_close": "疑似重复签约（金额相近）",
    "duplicate_across_units_original": "被跨单位重复填报的原项目",
    "similar_deal": "同一投资方金额相近的相似项目",
    "similar_deal_original": "被疑似重复填报的原项目",
    "funds_round_trip": "资金进出（到位后冲回）",
    "funds_before_start": "未开工项目大额到位资金",
    "token_funds": "零星资金维持在建",
    "source_region_mismatch": "省内登记企业填报为省外资金",
    "source_local_investor": "省内企业（无省外集团标识）填报为省外资金",
    "stalled_long_not_started": "远超停滞期限仍填报未开工",
    "source_changed": "资金来源中途改变",
    "threshold_raised": "投资额中途调过10亿元门槛",
    "threshold_edge": "投资额略高于10亿元门槛",
    "threshold_bundled": "多期合并跨过10亿元门槛",
    "source_foreign_lookalike": "境外投资方与省内企业同名",
    **{code: lifecycle.RULES[rule] for rule, code in STALL_CODES.items()},
    "ecod_outlier": "模型综合异常",
}



RULES = (
    rules_records.warning_signals,
    rules_records.cum_decrease_signals,
    rules_records.round_trip_signals,
    rules_claims.source_signals,
    rules_claims.threshold_signals,
    rules_claims.bundled_signals,
    rules_patterns.late_revision_signals,
    rules_patterns.quarter_end_signals,
    rules_patterns.round_number_signals,
    rules_patterns.benford_bin_signals,
    rules_patterns.repeated_amount_signals,
    rules_identity.duplication_signals,
    rules_lifecycle.lifecycle_signals,
    rules_lifecycle.before_start_signals,
    rules_lifecycle.token_funds_signals,
)
