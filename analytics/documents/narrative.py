"""Sentences of the 月度通报 and the 专报, written from the month's figures in the register of a government report.

Each function returns `Sentence`s whose facts carry every number printed; none prints a project id, a file name or a
method name. Wording follows the figures: 增长/下降, 高于/低于/持平, and a clause is left out when its figure cannot be
computed (rather than printing a placeholder).
"""
from __future__ import annotations

from decimal import Decimal

from analytics.documents.common import top_and_bottom
from analytics.documents.facts import MonthFacts
from analytics.documents.model import PROVINCE, Sentence, Writer, period_text, ratio, round_1


def period(f: MonthFacts) -> str:
    """1—9月 (or 1月)."""
    return period_text(1, f.month.month)


def _growth(w: Writer, key: str, scope: str, value: Decimal) -> str:
    shown = w.pct(key, scope, value, absolute=True)
    return f"同比下降{shown}%" if round_1(value * 100) < 0 else f"同比增长{shown}%"


def _against_schedule(w: Writer, scope: str, completion: Decimal, schedule: Decimal) -> str:
    gap = round_1(completion * 100) - round_1(schedule * 100)
    if gap == 0:
        return "与序时进度持平"
    shown = w.points("gap_points", scope, gap)
    return f"{'高于' if gap > 0 else '低于'}序时进度{shown}个百分点"


def province_funds(f: MonthFacts) -> list[Sentence]:
    w = Writer()
    parts = [f"{period(f)}，全省招商引资到位资金{w.yi('funds_ytd', PROVINCE, f.province_ytd_wan)}亿元"]
    if f.province_base_wan:
        parts.append(_growth(w, "funds_growth", PROVINCE, ratio(f.province_ytd_wan - f.province_base_wan,
                                                                f.province_base_wan)))
    if f.province_target_wan:
        completion = ratio(f.province_ytd_wan, f.province_target_wan)
        parts.append(f"完成年度目标任务的{w.pct('funds_completion', PROVINCE, completion)}%")
        parts.append(_against_schedule(w, PROVINCE, completion, f.schedule))
    out = [w.done("，".join(parts) + "。")]
    out.append(w.done(f"其中，{f.month.month}月当月到位资金{w.yi('funds_month', PROVINCE, f.province_month_wan)}亿元。"))
    return out


def _completion(f: MonthFacts, unit: str) -> Decimal | None:
    return f.funds[unit].completion


def unit_funds(f: MonthFacts) -> list[Sentence]:
    w = Writer()
    ahead = [u for u in f.units if f.funds[u].ahead]
    growing = [u for u in f.units if (f.funds[u].growth or 0) > 0]
    out = [w.done(f"分地区看，{w.count('units_ahead', PROVINCE, len(ahead))}个单位到位资金完成进度达到序时进度，"
                  f"{w.count('units_growing', PROVINCE, len(growing))}个单位到位资金同比增长。")]
    ranked = sorted((u for u in f.units if _completion(f, u) is not None), key=lambda u: -_completion(f, u))
    ends = top_and_bottom(ranked, lambda u: f"{f.unit_name(u)}（{w.pct('unit_completion', u, _completion(f, u))}%）")
    if ends:
        out.append(w.done(f"完成年度任务进度{ends}。"))
    missing = [f.unit_name(u) for u in f.units if u not in f.reported]
    if missing:
        out.append(Sentence(f"截至通报时，{'、'.join(missing)}尚未报送{f.month.month}月报表，"
                            "其当月到位资金暂按零计算。"))
    return out


def _leaders(f: MonthFacts, values: dict, fmt, limit: int = 3) -> list[str]:
    order = sorted((u for u in f.units if values[u] > 0), key=lambda u: (-values[u], f.units.index(u)))
    return [f"{f.unit_name(u)}（{fmt(u)}）" for u in order[:limit]]


def signings(f: MonthFacts) -> list[Sentence]:
    w = Writer()
    p = PROVINCE
    out = [w.done(f"{period(f)}，全省新签约项目{w.count('signed_count', p, f.signed_ytd.n[p])}个，"
                  f"签约额{w.yi('signed_amount', p, f.signed_ytd.wan[p])}亿元；其中{f.month.month}月新签约项目"
                  f"{w.count('signed_count_month', p, f.signed_month.n[p])}个，签约额"
                  f"{w.yi('signed_amount_month', p, f.signed_month.wan[p])}亿元。")]
    leaders = _leaders(f, f.signed_ytd.wan, lambda u: f"{w.yi('signed_amount', u, f.signed_ytd.wan[u])}亿元")
    if leaders:
        out.append(w.done(f"签约额居前的是{'、'.join(leaders)}。"))
    return out


def major(f: MonthFacts, label: str) -> list[Sentence]:
    w = Writer()
    p = PROVINCE
    out = [w.done(f"{period(f)}，全省新签约{label}项目{w.count('major_count', p, f.major_ytd.n[p])}个，"
                  f"计划总投资{w.yi('major_investment', p, f.major_ytd.wan[p])}亿元；其中{f.month.month}月新签约"
                  f"{w.count('major_count_month', p, f.major_month.n[p])}个。")]
    leaders = _leaders(f, f.major_ytd.n, lambda u: f"{w.count('major_count', u, f.major_ytd.n[u])}个", limit=5)
    if leaders:
        out.append(w.done(f"新签约{label}项目较多的是{'、'.join(leaders)}。"))
    return out


def five_hundred(f: MonthFacts, internal: bool) -> list[Sentence]:
    w = Writer()
    p = PROVINCE
    out = [w.done(f"{period(f)}，全省新引进三个500强企业{w.count('fh_enterprises', p, f.fh_enterprises_ytd[p])}家，"
                  f"签约项目{w.count('fh_projects', p, f.fh_projects_ytd[p])}个。")]
    leaders = _leaders(f, f.fh_enterprises_ytd,
                       lambda u: f"{w.count('fh_enterprises', u, f.fh_enterprises_ytd[u])}家")
    if leaders:
        out.append(w.done(f"引进企业较多的是{'、'.join(leaders)}。"))
    if internal and f.fh_unverified_ytd:
        out.append(w.done(f"另有{w.count('fh_unverified', p, f.fh_unverified_ytd)}个项目申报的三个500强类别"
                          "未能在相应年度名录中核实，已列入核查关注范围。"))
    return out


def lifecycle(f: MonthFacts, internal: bool) -> list[Sentence]:
    w = Writer()
    p = PROVINCE
    out = [w.done(f"{period(f)}，全省新开工项目{w.count('started', p, f.started_ytd[p])}个，"
                  f"新投产项目{w.count('producing', p, f.producing_ytd[p])}个。")]
    if internal and f.stalled[p]:
        leaders = _leaders(f, f.stalled, lambda u: f"{w.count('stalled', u, f.stalled[u])}个")
        out.append(w.done(f"截至{f.month.month}月底，全省符合停滞认定情形的项目{w.count('stalled', p, f.stalled[p])}个，"
                          f"较多的是{'、'.join(leaders)}，请有关单位逐一分析原因、分类处置。"))
    return out


def lists(f: MonthFacts, black_gap: float) -> list[Sentence]:
    w = Writer()
    red = [u for u in f.units if f.unit_name(u) in f.bulletin.red]
    red.sort(key=lambda u: f.bulletin.red.index(f.unit_name(u)))
    black = [u for u in f.units if f.unit_name(u) in f.bulletin.black]
    black.sort(key=lambda u: f.bulletin.black.index(f.unit_name(u)))
    out = []
    if red:
        names = "、".join(f"{f.unit_name(u)}（完成{w.pct('unit_completion', u, _completion(f, u))}%）" for u in red)
        out.append(w.done(f"根据各单位到位资金完成年度任务进度，{names}进度靠前，列入红榜。"))
    else:
        out.append(Sentence("本月无单位达到序时进度，红榜空缺。"))
    if black:
        def behind(u: str) -> str:
            gap = round_1(_completion(f, u) * 100) - round_1(f.schedule * 100)
            return f"{f.unit_name(u)}（落后序时进度{w.points('gap_points', u, gap)}个百分点）"
        limit = w.plain("black_gap", PROVINCE, Decimal(str(black_gap)) * 100, "个百分点")
        out.append(w.done(f"{'、'.join(behind(u) for u in black)}落后序时进度超过{limit}个百分点，列入黑榜。"))
    else:
        out.append(Sentence("本月无单位列入黑榜。"))
    return out


def verification(f: MonthFacts) -> list[Sentence]:
    v = f.verification
    if v.is_empty() or int(v["checked"].sum()) == 0:
        return [Sentence(f"{f.month.year}年以来尚无抽样核查结果。")]
    w = Writer()
    p = PROVINCE
    flagged = [f.unit_name(u) for u, d, n in v.select("unit_code", "discrepancies", "unverifiable").iter_rows()
               if d or n]
    text = (f"{f.month.year}年以来第三方抽样核查共核查项目{w.count('checked', p, int(v['checked'].sum()))}个，"
            f"发现数据存在差异的项目{w.count('discrepancies', p, int(v['discrepancies'].sum()))}个、"
            f"无法核实的项目{w.count('unverifiable', p, int(v['unverifiable'].sum()))}个")
    text += f"，涉及{'、'.join(flagged)}。" if flagged else "。"
    return [w.done(text), Sentence("请有关单位对照核查意见逐项整改，整改情况及时报领导小组办公室。")]
